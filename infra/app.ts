import { App } from 'aws-cdk-lib';
import { ConfigurationError } from './appContext';
import { defineComplaintsApp } from './complaintsApp';

// The cdk.json app: the CLI passes context and the output directory through the environment and the
// App synthesizes when the process exits. A context mistake is one line for the person running cdk,
// not a stack trace; the non-zero exit makes the CLI stop.
try {
  defineComplaintsApp(new App());
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  console.error(`Error: ${error.message}`);
  process.exit(1);
}
