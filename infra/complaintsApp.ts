import { Annotations, type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readAppContext } from './appContext';
import { ComplaintsStack } from './ComplaintsStack';

/** Construct id (and CloudFormation stack name) of the one stack. */
export const complaintsStackId = 'ComplaintsStack';

/** Builds the stack from the app's validated context (cdk.json or `-c key=value`). */
export function buildComplaintsStack(app: App): ComplaintsStack {
  const { warnings, ...context } = readAppContext(app.node);
  const stack = new ComplaintsStack(app, complaintsStackId, {
    ...context,
    description: 'Complaint resolution: SES intake, Step Functions lifecycle, agent HTTP API',
  });
  // A development deployment may keep placeholders; `cdk synth` lists each (deployProfile=production refuses them).
  for (const warning of warnings) {
    Annotations.of(stack).addWarningV2('complaints:placeholderContext', warning);
  }
  return stack;
}

/**
 * The deployable app: the stack plus cdk-nag AwsSolutions, whose unacknowledged findings fail the synth
 * (cdk-nag 3 is a validation plugin; the Aspects API of cdk-nag 2 fails at runtime).
 */
export function defineComplaintsApp(app: App): ComplaintsStack {
  const stack = buildComplaintsStack(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
