import type { IntakeFunction } from '../../adapters/ports';
import { required } from '../../application/settings';
import { type AdapterContext, onFirstCall } from '../awsAdapters';
import { clientConfig } from '../lambda';

/** The intake function (`INTAKE_FUNCTION_NAME`), invoked asynchronously. */
export const intakeFunction = ({ settings, runtime }: AdapterContext): IntakeFunction => {
  // A missing name fails when the dependencies are built, not on the first hand-over.
  const functionName = required(settings, 'intakeFunctionName');
  return onFirstCall(async () =>
    (await import('../../adapters/intakeFunction')).lambdaIntakeFunctionWith(
      functionName,
      clientConfig(runtime, 'lambda'),
    ),
  );
};
