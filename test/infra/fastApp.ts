import { App } from 'aws-cdk-lib';
import { cdkJsonContext } from '../../infra/appContext';
import type { ComplaintsStack } from '../../infra/ComplaintsStack';
import { buildComplaintsStack } from '../../infra/complaintsApp';

/**
 * The stack as `cdk synth` builds it from cdk.json, minus the slow parts that assertions do not need:
 * an empty `aws:cdk:bundling-stacks` skips esbuild and the built-in CloudFormation validation is off.
 */
export function buildFastStack(context: Record<string, unknown> = {}): { app: App; stack: ComplaintsStack } {
  const app = new App({
    builtinCloudFormationValidation: false,
    context: { ...cdkJsonContext(), ...context, 'aws:cdk:bundling-stacks': [] },
  });
  return { app, stack: buildComplaintsStack(app) };
}
