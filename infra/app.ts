import { App } from 'aws-cdk-lib';
import { defineComplaintsApp } from './complaintsApp';

// The cdk.json app: the CLI passes context and the output directory through the environment and the
// App synthesizes when the process exits.
defineComplaintsApp(new App());
