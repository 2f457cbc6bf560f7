import type { WorkflowClient } from '../../adapters/ports';
import { settingNames } from '../../application/settings';
import { type AdapterContext, onFirstCall } from '../awsAdapters';
import { clientConfig } from '../lambda';

/** Executions of the complaint state machine (`STATE_MACHINE_ARN`). */
export const sfnWorkflow = ({ settings, runtime }: AdapterContext): WorkflowClient => {
  const { stateMachineArn } = settings;
  if (!stateMachineArn)
    return {
      start: noWorkflow,
      stop: noWorkflow,
      succeed: noWorkflow,
      fail: noWorkflow,
      received: noWorkflow,
    };
  return onFirstCall(async () =>
    (await import('../../adapters/workflowClient')).sfnWorkflowClientWith(
      stateMachineArn,
      clientConfig(runtime, 'sfn'),
    ),
  );
};

/** Fails the call that needs the state machine in a function deployed without its ARN. */
const noWorkflow = (): never => {
  throw new Error(`Invalid configuration: this function has no ${settingNames.stateMachineArn}`);
};
