import 'core-js/actual/promise/with-resolvers';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  DynamoDBBatchResponse,
  DynamoDBStreamEvent,
} from 'aws-lambda';
import { roleAttribute } from '../../functions/adapters/notifier';
import { type ApiFunction, apiFunctions } from '../../functions/api/routes';
import { settingNames } from '../../functions/application/settings';
import type { Runtime } from '../../functions/composition/lambda';
import {
  type ReleaseSweepEvent,
  releaseSweepIntervalMinutes,
} from '../../functions/core/mail/quarantineRelease';
import { type AgentRole, agentRoles } from '../../functions/core/policy';
import type { HandlerName } from '../../infra/bundling';
import { teamSubscriptions } from '../../infra/teamSubscriptions';
import { type WorkflowStep, workflowSteps } from '../../workflows/ComplaintWorkflow';
import type { ApiHandler } from './apiGateway';
import { lockDataDir } from './dataDirLock';
import type { BusTarget } from './eventBus/targetDelivery';
import { buildLambdaBundles } from './lambdaBundles';
import { startLambdaWorkerPool } from './lambdaWorkerPool';
import { localAwsConfig } from './localAws';
import type { LocalSend } from './mailboxSimulator';

export interface LocalStackOptions {
  /** Folder for everything kept on disk (DynamoDB, raw mail, intake spool, executions, keys). */
  dataDir: string;
  host?: string;
  /** 0 = a random free port. */
  ports?: Partial<
    Record<
      'smtp' | 'api' | 'mailbox' | 'dynamodb' | 'stepfunctions' | 'console' | 'events' | 'lambda' | 'sns',
      number
    >
  >;
  /** Policy profile (`standard` or `fast`). */
  profile?: string;
  /** Policy override (JSON), deep-merged into the profile, as `COMPLAINTS_POLICY` is on AWS. */
  policy?: string;
  mailDomain?: string;
  /** The newest mails the local mailbox keeps (default 10,000). */
  mailboxRetention?: number;
  /** Print nothing but warnings (tests, benchmarks). */
  quiet?: boolean;
  /** DynamoDB in memory instead of under `<dataDir>/dynamodb` (faster; tests that never restart). */
  inMemoryDynamoDb?: boolean;
  /** Wraps each workflow step handler (tests: run every invocation twice, or make a step fail). */
  wrapLambda?: (step: WorkflowStep, handler: LambdaHandler) => LambdaHandler;
  /** Lifetime of the console's access tokens (default 15 minutes, as the app client's; renewed by the refresh token). */
  consoleSessionSeconds?: number;
  /** More subscribers of the local event bus (HTTP endpoints or in-process handlers). */
  eventTargets?: BusTarget[];
  /** Waits between delivery attempts to a failing bus target (then its dead-letter folder). */
  eventRetryDelaysMs?: number[];
  /** Wraps the intake, API and report projector handlers (the benchmark times every invocation). */
  wrapEntryHandler?: (name: EntryHandlerName, handler: LambdaHandler) => LambdaHandler;
  /**
   * Puts a server in front of DynamoDB Local (the benchmark's request counter): everything, handlers
   * included, talks to the endpoint it returns. Closed after DynamoDB Local's clients are gone.
   */
  dynamoDbFront?: (endpoint: string) => Promise<{ endpoint: string; close(): Promise<void> }>;
  /**
   * Worker threads the API function's invocations run in, as Lambda runs concurrent invocations in
   * execution environments of their own (default: one per core beyond the first, at least one). 0 runs
   * them on the stack's own thread, which a test on a virtual clock needs: a worker's `Date` and timers
   * are the real ones.
   */
  apiWorkers?: number;
  /**
   * Headers for every HTTP request an API invocation sends from a worker thread, taken when the
   * invocation starts (the benchmark names the invocation each DynamoDB request comes from).
   */
  apiRequestHeaders?: () => Record<string, string> | undefined;
}

export type LambdaHandler = (event: unknown) => Promise<unknown>;
/** The functions besides the workflow steps that the local stack invokes and a wrapper may time. */
export type EntryHandlerName =
  | 'intake'
  | 'api'
  | 'apiDocs'
  | 'projectReports'
  | 'publishEvents'
  | 'mailOwedReplies';

/** Machine-readable endpoints, written to `<dataDir>/endpoints.json`. */
export interface LocalEndpoints {
  smtp: { host: string; port: number };
  api: { url: string };
  /** The agent console (its sign-in picks a dev identity). */
  console: { url: string };
  mailbox: { url: string };
  dynamodb: { endpoint: string };
  stepfunctions: { endpoint: string; stateMachineArn: string };
  /** The local EventBridge bus (PutEvents) and its log (`GET <endpoint>/events?after=<n>`). */
  events: { endpoint: string; busName: string };
  /** The Lambda API's Invoke (asynchronous) for the functions other functions invoke. */
  lambda: { endpoint: string };
  /** SNS's Publish, and the team-notification topic (its email subscriptions deliver to the mailbox). */
  sns: { endpoint: string; teamTopicArn: string };
  supportAddress: string;
  tokens: Record<AgentRole, string>;
}

export interface LocalStack {
  endpoints: LocalEndpoints;
  /**
   * Resolves when every received mail and every event handed to the intake function (and every one
   * spooled before the start) has been through intake or dead-lettered (for tests and benchmarks).
   */
  drainIntake(): Promise<void>;
  /** This stack's intake function, as SES invokes it (tests: deliver the same receipt event again). */
  invokeIntake(event: unknown): Promise<void>;
  /**
   * Resolves once the stack rests: every received mail has been through intake, and every running
   * execution waits on time or on someone (a Wait state, or a callback task whose function returned),
   * unchanged between two looks 50 ms apart. A test on a virtual clock skips time only then
   * (`test/support/virtualClock.ts`), so that no step under way sees its lease expire.
   */
  resting(timeoutMs?: number): Promise<void>;
  /**
   * Where the workflow execution of that name (a complaint's id) waits while it rests: its state, and
   * when that wait ends by itself (epoch ms; none for a wait without a deadline).
   */
  pendingWait(executionName: string): { stateName: string; until?: number } | undefined;
  /**
   * A fresh dev token of the role's dev identity (the one in `endpoints.tokens`), for tests whose
   * virtual clock outlives the 12 hours of the tokens minted at the start.
   */
  signToken(role: AgentRole): Promise<string>;
  /**
   * Resolves when every change committed so far has been published and delivered to every bus target
   * (or dead-lettered), for tests.
   */
  drainEvents(): Promise<void>;
  /** Resolves when every team notification published so far has been delivered to its subscribers' mailboxes. */
  drainNotifications(): Promise<void>;
  /** Rejects when an embedded part dies while the stack runs (a crashed DynamoDB Local JVM). */
  failed: Promise<never>;
  close(): Promise<void>;
}

const region = 'us-east-1';
/** The configuration set every mail is sent with (on AWS the stack's `MailFeedback`). */
const configurationSet = 'MailFeedback';
const account = '000000000000';
/** The intake function's name, as the API is configured with it (on AWS the deployed function's name). */
const intakeFunctionName = 'IntakeFn';

/** The handlers of one local stack, from the bundles that deploy. */
interface HandlerSet {
  intake: (event: unknown) => Promise<void>;
  api: ApiHandler;
  apiDocs: ApiHandler;
  mailFeedback: (event: unknown) => Promise<void>;
  projectReports: LambdaHandler;
  publishEvents: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
  mailOwedReplies: LambdaHandler;
  steps: Record<WorkflowStep, LambdaHandler>;
  /** Ends the API's worker threads, if it has any. */
  close(): Promise<void>;
}

/** What every bundle exports beside the Lambda `handler`: the same handler for another runtime. */
type BundleModule<E, R> = { handlerFor: (runtime: Runtime) => (event: E) => Promise<R> };

/**
 * Every function's bundle, built with the deployed bundling options (cached by content hash), each
 * given this stack's runtime: the handlers run the code that deploys, not the TypeScript sources. As on
 * Lambda, a function's module is loaded (its cold start) on its first invocation, so a stack start
 * does not pay for functions nobody calls; a failed load is tried again on the next invocation.
 */
async function localHandlers(
  runtime: Runtime,
  log: (msg: string) => void,
  api: Pick<LocalStackOptions, 'apiWorkers' | 'apiRequestHeaders'>,
): Promise<HandlerSet> {
  const bundles = await buildLambdaBundles();
  log(`Lambda bundles ${bundles.built ? 'built' : 'reused'} in ${Math.round(bundles.ms)} ms`);
  const coldStarting = <E, R>(name: HandlerName) => {
    let loaded: Promise<(event: E) => Promise<R>> | undefined;
    return async (event: E): Promise<R> => {
      loaded ??= import(pathToFileURL(bundles.files[name]).href).then(
        (module: BundleModule<E, R>) => module.handlerFor(runtime),
        (error: unknown) => {
          loaded = undefined;
          throw error;
        },
      );
      return (await loaded)(event);
    };
  };
  const steps = Object.keys(workflowSteps) as WorkflowStep[];
  const apiWorkers = api.apiWorkers ?? Math.max(1, availableParallelism() - 1);
  const apiPool =
    apiWorkers > 0
      ? startLambdaWorkerPool<APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2>({
          bundleFile: bundles.files.api,
          runtime,
          size: apiWorkers,
          ...(api.apiRequestHeaders ? { requestHeaders: api.apiRequestHeaders } : {}),
        })
      : undefined;
  return {
    intake: coldStarting<unknown, void>('intake'),
    api:
      apiPool?.invoke ??
      coldStarting<APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2>('api'),
    apiDocs: coldStarting<APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2>(
      'apiDocs',
    ),
    close: async () => apiPool?.close(),
    mailFeedback: coldStarting<unknown, void>('mailFeedback'),
    projectReports: coldStarting<unknown, unknown>('projectReports'),
    publishEvents: coldStarting<DynamoDBStreamEvent, DynamoDBBatchResponse>('publishEvents'),
    mailOwedReplies: coldStarting<unknown, unknown>('mailOwedReplies'),
    steps: Object.fromEntries(
      steps.map((step) => [step, coldStarting<unknown, unknown>(step)]),
    ) as HandlerSet['steps'],
  };
}

/** A random secret kept in the data folder, so links signed before a restart stay valid after it. */
async function localSecret(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const secret = randomBytes(32).toString('base64url');
    await writeFile(file, secret, { mode: 0o600 });
    return secret;
  }
}

/**
 * Starts the whole system on embedded parts: DynamoDB Local, aws-ses-v2-local, the local Step Functions
 * endpoint running the CDK-synthesized definition, the SMTP intake and the API gateway. Handlers are the
 * Lambda handlers, in-process (the API's in worker threads of this process, see `apiWorkers`), built by
 * their factories with dependencies made here (the local composition root): the real AWS SDK clients
 * bound to the embedded servers' endpoints, the settings parsed by the same schema as on AWS. Nothing is read from or written to `process.env`, so several
 * stacks can run in one process.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const host = options.host ?? '127.0.0.1';
  const ports = options.ports ?? {};
  const dataDir = resolve(options.dataDir);
  const mailDomain = options.mailDomain ?? 'support.localhost';
  const supportAddress = `support@${mailDomain}`;
  const tableName = 'Complaints';
  const rawMailDir = join(dataDir, 'raw-mail');
  const rawMailBucket = 'raw-mail';
  const profile = options.profile ?? 'standard';
  // Before anything else touches the folder: a second stack on it would corrupt the first one's data.
  const lock = await lockDataDir(dataDir);
  const closers: (() => Promise<void>)[] = [() => lock.release()];
  const log = (msg: string) => {
    if (!options.quiet) console.log(msg);
  };

  try {
    // Loaded only now (the CDK synth alone takes seconds): a refused start answers at once.
    const [
      { workflowSteps },
      { serveApiDocs },
      { startLocalApiGateway },
      { buildConsole },
      { startLocalConsole },
      { ensureTable },
      { devIdentityProvider },
      { startDynamoDbLocal },
      { startLocalSes },
      { startLocalSns },
      { intakeFolders, startSmtpIntake },
      { startAsyncInvocations },
      { startLocalLambda },
      { mailboxSimulatorEvents, snsNotificationEvent },
      { startLocalStepFunctions },
      { synthesizeWorkflow },
    ] = await Promise.all([
      import('../../workflows/ComplaintWorkflow'),
      import('./apiDocsPage'),
      import('./apiGateway'),
      import('../console/build'),
      import('./consoleServer'),
      import('./createTable'),
      import('./devTokens'),
      import('./dynamoDbLocal'),
      import('./localSes'),
      import('./localSns'),
      import('./smtpIntake'),
      import('./asyncInvocations'),
      import('./localLambda'),
      import('./mailboxSimulator'),
      import('./stepFunctions/localStepFunctions'),
      import('./synthesizedWorkflow'),
    ]);
    await mkdir(rawMailDir, { recursive: true });
    const dynamoDir = join(dataDir, 'dynamodb');
    if (!options.inMemoryDynamoDb) await mkdir(dynamoDir, { recursive: true });
    const dynamo = await startDynamoDbLocal({
      path: options.inMemoryDynamoDb ? undefined : dynamoDir,
      host,
      port: ports.dynamodb ?? 0,
      // A stale lock means the previous stack was killed; its JVM may still be letting go of the port.
      portWaitMs: lock.stale ? 5_000 : 0,
    });
    closers.push(() => dynamo.close());
    const front = await options.dynamoDbFront?.(dynamo.endpoint);
    if (front) closers.push(() => front.close());
    const dynamoEndpoint = front?.endpoint ?? dynamo.endpoint;

    // SES events of mail to the mailbox simulator's addresses, once the feedback function is ready.
    let publishMailEvents: ((send: LocalSend) => Promise<void>) | undefined;
    const ses = await startLocalSes({
      host,
      port: ports.mailbox ?? 0,
      onSent: async (send) => publishMailEvents?.(send),
      ...(options.mailboxRetention ? { retention: options.mailboxRetention } : {}),
    });
    closers.push(() => ses.close());
    // The team-notification topic, subscribed as the stack subscribes the addresses listed per role
    // (here `<role>@<mail domain>`): its email deliveries land in the local SES mailbox.
    const teamTopic = 'TeamNotifications';
    const sns = await startLocalSns({
      topics: {
        [teamTopic]: teamSubscriptions(
          Object.fromEntries(agentRoles.map((role) => [role, [`${role}@${mailDomain}`]])),
        ).map(({ address, roles }) => ({ address, filterPolicy: { [roleAttribute]: roles } })),
      },
      account,
      sesEndpoint: ses.url,
      spoolDir: join(dataDir, 'sns-deliveries'),
      deadLetterDir: join(dataDir, 'sns-deliveries-dead-letter'),
      host,
      port: ports.sns ?? 0,
    });
    closers.push(() => sns.close());
    const teamTopicArn = sns.topicArns[teamTopic] as string;

    const { definition, stateMachineName, functionArns, projectorBatching, owedReplies } = synthesizeWorkflow(
      {
        policyProfile: profile,
      },
    );
    const stateMachineArn = `arn:aws:states:${region}:${account}:stateMachine:${stateMachineName}`;

    await ensureTable(new DynamoDBClient(localAwsConfig(dynamoEndpoint)), tableName);

    // The handlers are built once Step Functions is up (the workflow client needs its endpoint); until
    // then calls wait. Resumed executions run as soon as Step Functions starts.
    let ready: (handlers: HandlerSet) => void = () => undefined;
    let notBuilt: (error: unknown) => void = () => undefined;
    const built = {
      promise: new Promise<HandlerSet>((resolve, reject) => {
        ready = resolve;
        notBuilt = reject;
      }),
    };
    built.promise.catch(() => undefined);

    // The domain events: the table's stream read by the publisher function, the bus delivering to the
    // report projector function (both their bundles). The bus listens now: its endpoint is part of
    // every function's runtime below.
    const builtProjector: LambdaHandler = async (event) => (await built.promise).projectReports(event);
    const builtPublisher: LambdaHandler = async (event) =>
      (await built.promise).publishEvents(event as DynamoDBStreamEvent);
    const builtOwedReplyMailer: LambdaHandler = async (event) => (await built.promise).mailOwedReplies(event);
    const { startLocalInsights } = await import('./localInsights');
    const insights = await startLocalInsights({
      dataDir,
      host,
      port: ports.events ?? 0,
      region,
      account,
      tableName,
      // Lambda's stream polling is no table request on AWS: past any front that counts them.
      streamEndpoint: dynamo.endpoint,
      projector: options.wrapEntryHandler?.('projectReports', builtProjector) ?? builtProjector,
      projectorBatching,
      owedReplyMailer:
        options.wrapEntryHandler?.('mailOwedReplies', builtOwedReplyMailer) ?? builtOwedReplyMailer,
      owedReplies,
      publisher: (options.wrapEntryHandler?.('publishEvents', builtPublisher) ?? builtPublisher) as (
        event: DynamoDBStreamEvent,
      ) => Promise<DynamoDBBatchResponse>,
      targets: options.eventTargets ?? [],
      ...(options.eventRetryDelaysMs ? { retryDelaysMs: options.eventRetryDelaysMs } : {}),
    });
    closers.push(() => insights.close());
    // A start that fails before the handlers exist first releases what waits for them (closers run in
    // reverse order), so that closing the bus and the stream's reader does not wait for them forever.
    closers.push(async () => notBuilt(new Error('the local stack stopped before its handlers were built')));
    // The configuration set's event destination: an SNS topic invoking the feedback function
    // asynchronously (spooled on disk, retried, dead-lettered); events spooled before a crash go now.
    const feedbackTopicArn = `arn:aws:sns:${region}:${account}:${configurationSet}`;
    const feedback = await startAsyncInvocations({
      name: 'mailFeedback',
      spoolDir: join(dataDir, 'ses-events'),
      deadLetterDir: join(dataDir, 'ses-events-dead-letter'),
      handler: async (event: unknown) => (await built.promise).mailFeedback(event),
    });
    closers.push(() => feedback.drain());
    publishMailEvents = async (send) => {
      if (send.configurationSet !== configurationSet) return;
      for (const event of mailboxSimulatorEvents(send)) {
        const notification = snsNotificationEvent(feedbackTopicArn, JSON.stringify(event), send.at);
        await feedback.invoke(notification.Records[0]?.Sns.MessageId as string, notification);
      }
    };
    // The intake function's asynchronous invocations through the Lambda API (the API hands it released
    // quarantined mail): queued on disk, retried, dead-lettered, as the SMTP intake's own spool.
    const builtIntake: LambdaHandler = async (event) => (await built.promise).intake(event);
    const intakeHandler = options.wrapEntryHandler?.('intake', builtIntake) ?? builtIntake;
    const intakeInvocations = await startAsyncInvocations({
      name: 'intake',
      spoolDir: join(dataDir, 'intake-invocations'),
      deadLetterDir: join(dataDir, 'intake-invocations-dead-letter'),
      handler: intakeHandler,
    });
    const lambda = await startLocalLambda({
      functions: { [intakeFunctionName]: intakeInvocations },
      host,
      port: ports.lambda ?? 0,
    });
    closers.push(() => lambda.close());
    const steps = Object.keys(workflowSteps) as WorkflowStep[];
    const lambdas = Object.fromEntries(
      steps.map((step) => {
        const handler: LambdaHandler = async (event) => (await built.promise).steps[step](event);
        return [functionArns[step], options.wrapLambda?.(step, handler) ?? handler] as const;
      }),
    );
    const identity = await devIdentityProvider(join(dataDir, 'dev-idp.json'));
    const apiHandlers = Object.fromEntries(
      apiFunctions.map((name) => {
        const builtHandler: LambdaHandler = async (event) => (await built.promise)[name](event as never);
        return [name, (options.wrapEntryHandler?.(name, builtHandler) ?? builtHandler) as ApiHandler];
      }),
    ) as Record<ApiFunction, ApiHandler>;
    // Built here when missing or stale (content-hashed), so a fresh clone's `npm start` serves it.
    const consoleBuild = await buildConsole();
    let apiUrl = '';
    const agentConsole = await startLocalConsole({
      dir: consoleBuild.dir,
      identity,
      apiUrl: () => apiUrl,
      mailDomain,
      host,
      port: ports.console ?? 0,
      ...(options.consoleSessionSeconds ? { sessionSeconds: options.consoleSessionSeconds } : {}),
    });
    closers.push(() => agentConsole.close());
    // The API's worker threads end after the gateway has answered what it had in flight.
    let closeApiWorkers: () => Promise<void> = async () => undefined;
    closers.push(() => closeApiWorkers());
    // The console calls the API cross-origin, as on AWS (CloudFront and the HTTP API are two origins).
    const consoleOrigins = [agentConsole.url, agentConsole.url.replace('127.0.0.1', 'localhost')];
    const gateway = await startLocalApiGateway({
      handlers: apiHandlers,
      identity,
      corsOrigins: consoleOrigins,
      extraRoutes: { 'GET /docs': serveApiDocs },
      host,
      port: ports.api ?? 0,
    });
    closers.push(() => gateway.close());
    apiUrl = gateway.url;

    const sfn = await startLocalStepFunctions({
      definition,
      stateMachineArn,
      lambdas,
      dataDir: join(dataDir, 'stepfunctions'),
      host,
      port: ports.stepfunctions ?? 0,
      // Failed executions are worth seeing even when quiet (the Lambda logs say why).
      logger: {
        info: (msg, extra) => log(`${msg} ${JSON.stringify(extra ?? {})}`),
        error: (msg, extra) => console.error(msg, extra),
      },
    });
    closers.push(() => sfn.close());

    const n = settingNames;
    const runtime: Runtime = {
      env: {
        [n.tableName]: tableName,
        [n.supportAddress]: supportAddress,
        [n.senderAddress]: supportAddress,
        [n.mailDomain]: mailDomain,
        [n.stateMachineArn]: stateMachineArn,
        [n.rawMailBucket]: rawMailBucket,
        [n.rawMailPrefix]: 'inbound/',
        [n.policyProfile]: profile,
        [n.policyJson]: options.policy,
        [n.sesConfigurationSet]: configurationSet,
        // Survey links in customer mail point at the local gateway (on AWS: the HTTP API URL).
        [n.surveyBaseUrl]: gateway.url,
        [n.logLevel]: options.quiet ? 'ERROR' : 'INFO',
        [n.intakeFunctionName]: intakeFunctionName,
        [n.alertTopicArn]: teamTopicArn,
        [n.eventBusName]: insights.busName,
      },
      aws: {
        region,
        credentials: localAwsConfig(dynamoEndpoint).credentials,
        endpoints: {
          dynamodb: dynamoEndpoint,
          sesv2: ses.url,
          sfn: sfn.endpoint,
          lambda: lambda.endpoint,
          sns: sns.endpoint,
          eventbridge: insights.endpoint,
        },
      },
      rawMailDir,
      signingKey: await localSecret(join(dataDir, 'survey-signing.key')),
    };
    const handlers = await localHandlers(runtime, log, options);
    closeApiWorkers = handlers.close;
    ready(handlers);

    const smtp = await startSmtpIntake({
      host,
      port: ports.smtp ?? 0,
      rawMailDir,
      bucket: rawMailBucket,
      keyPrefix: 'inbound/',
      recipientDomains: [mailDomain],
      ...intakeFolders(dataDir),
      onReceived: async (event) => {
        await intakeHandler(event);
      },
    });
    closers.push(() => smtp.close());
    // Closed first: what the API handed intake is filed while the parts it writes to still run.
    closers.push(() => intakeInvocations.drain());
    // The schedule's sweep of released mail whose hand-over was lost (ReleaseSweepSchedule on AWS): an
    // asynchronous invocation of intake every few minutes. Stopped before intake is drained.
    const releaseSweep: ReleaseSweepEvent = { sweep: 'quarantineReleases' };
    const sweepTimer = setInterval(() => {
      intakeInvocations
        .invoke(`release-sweep-${randomUUID()}`, releaseSweep)
        .catch((error: unknown) => log(`release sweep not queued: ${String(error)}`));
    }, releaseSweepIntervalMinutes * 60_000);
    sweepTimer.unref();
    closers.push(async () => clearInterval(sweepTimer));

    const roles = agentRoles;
    const signToken = (role: AgentRole) =>
      identity.sign({ sub: `dev-${role}`, role, email: `${role}@${mailDomain}` });
    const tokens = Object.fromEntries(
      await Promise.all(roles.map(async (role) => [role, await signToken(role)])),
    ) as Record<AgentRole, string>;

    /** Every mail received and every released mail handed over has been through intake (or dead-lettered). */
    const drainIntake = async () => {
      await smtp.drain();
      await intakeInvocations.drain();
    };
    const endpoints: LocalEndpoints = {
      smtp: { host: smtp.host, port: smtp.port },
      api: { url: gateway.url },
      console: { url: agentConsole.url },
      mailbox: { url: ses.url },
      dynamodb: { endpoint: dynamoEndpoint },
      stepfunctions: { endpoint: sfn.endpoint, stateMachineArn },
      events: { endpoint: insights.endpoint, busName: insights.busName },
      lambda: { endpoint: lambda.endpoint },
      sns: { endpoint: sns.endpoint, teamTopicArn },
      supportAddress,
      tokens,
    };
    await writeFile(join(dataDir, 'endpoints.json'), `${JSON.stringify(endpoints, null, 2)}\n`);
    log(`local stack up (profile ${profile}, data in ${dataDir})`);
    return {
      endpoints,
      drainIntake,
      pendingWait: (name) => sfn.pendingWait(name),
      resting: async (timeoutMs = 60_000) => {
        const deadline = performance.now() + timeoutMs;
        let before: { resting: boolean; events: number } | undefined;
        for (;;) {
          await drainIntake();
          const now = sfn.restingState();
          if (now.resting && before?.resting && before.events === now.events) return;
          if (performance.now() > deadline)
            throw new Error(`the stack did not come to rest in ${timeoutMs} ms`);
          before = now;
          await sleep(50);
        }
      },
      invokeIntake: (event) => handlers.intake(event),
      signToken,
      drainEvents: () => insights.drain(),
      drainNotifications: () => sns.drain(),
      failed: dynamo.failed,
      async close() {
        for (const close of closers.reverse()) await close();
      },
    };
  } catch (e) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw e;
  }
}
