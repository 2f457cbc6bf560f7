import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  type HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  OAuthScope,
  ResourceServerScope,
  StandardThreatProtectionMode,
  UserPool,
  type UserPoolClient,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  type ApiFunction,
  apiRoutes,
  apiScope,
  corsAllowHeaders,
  functionOf,
  type RouteSpec,
} from '../../functions/api/routes';
import { agentRoles } from '../../functions/core/policy';

export interface AgentApiProps {
  /** The Lambda functions behind the routes (each route's `servedBy`, the router by default). */
  handlers: Record<ApiFunction, IFunction>;
  /** OAuth redirect URLs of the agent client (authorization code flow). */
  callbackUrls: string[];
  /** Where the hosted UI may send the agent after signing out; defaults to the callback URLs. */
  logoutUrls?: string[];
  /** Browser origins allowed to call the API (the agent console). */
  corsOrigins?: string[];
  /** Cognito hosted-domain prefix; defaults to `complaints-<account id>`. */
  domainPrefix?: string;
}

/**
 * The agents' HTTP API: a Cognito user pool (one group per agent role, no self sign-up, MFA), an OAuth
 * resource server granting `complaints/agent`, and one HTTP API route per entry of `apiRoutes`, each
 * behind a JWT authorizer that requires that scope. Roles are checked by the handler from `cognito:groups`.
 */
export class AgentApi extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly domain: UserPoolDomain;
  readonly api: HttpApi;
  readonly stage: HttpStage;

  constructor(scope: Construct, id: string, props: AgentApiProps) {
    super(scope, id);

    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      // Threat protection (compromised credentials, adaptive authentication) needs the Plus plan.
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Group names are the role names the API authorizes on (`cognito:groups` claim of the access token).
    for (const role of agentRoles) {
      this.userPool.addGroup(`Group-${role}`, {
        groupName: role,
        description: `Agents with the ${role} role`,
      });
    }

    const [resourceServerId, scopeName] = apiScope.split('/') as [string, string];
    const agentScope = new ResourceServerScope({
      scopeName,
      scopeDescription: 'Act on complaints as an agent',
    });
    const resourceServer = this.userPool.addResourceServer('ResourceServer', {
      identifier: resourceServerId,
      scopes: [agentScope],
    });
    this.client = this.userPool.addClient('AgentClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      preventUserExistenceErrors: true,
      // A stolen access token works at the API until it expires: the JWT authorizer checks no revocation
      // (Cognito's revocation and global sign-out end a token for Cognito's own APIs only). So access
      // tokens live 15 minutes, not the hour they could: Cognito's minimum is 5, and the console renews
      // the token with the refresh token a minute before it expires, so the length costs the agent
      // nothing; 15 keeps the token endpoint to four calls an hour per open console. The ID token (which
      // the API refuses) alike. The refresh token lasts a working day, not more, and the console's
      // sign-out revokes it (`/oauth2/revoke`, which `enableTokenRevocation` allows).
      enableTokenRevocation: true,
      accessTokenValidity: Duration.minutes(15),
      idTokenValidity: Duration.minutes(15),
      refreshTokenValidity: Duration.hours(12),
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.resourceServer(resourceServer, agentScope)],
        callbackUrls: props.callbackUrls,
        logoutUrls: props.logoutUrls ?? props.callbackUrls,
      },
    });
    this.domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: props.domainPrefix ?? `complaints-${Aws.ACCOUNT_ID}` },
    });

    // Cognito access tokens carry `client_id` instead of `aud`; API Gateway JWT authorizers check either.
    const authorizer = new HttpJwtAuthorizer('AgentJwt', this.userPool.userPoolProviderUrl, {
      jwtAudience: [this.client.userPoolClientId],
    });
    const integrations: Record<ApiFunction, HttpLambdaIntegration> = {
      api: new HttpLambdaIntegration('Router', props.handlers.api),
      apiDocs: new HttpLambdaIntegration('Docs', props.handlers.apiDocs),
    };

    this.api = new HttpApi(this, 'HttpApi', {
      description: 'Complaint resolution: agent API',
      // The stage is created below with access logs and throttling, which the default stage lacks.
      createDefaultStage: false,
      // The console is another origin (CloudFront); API Gateway answers its preflight requests.
      ...(props.corsOrigins
        ? {
            corsPreflight: {
              allowOrigins: props.corsOrigins,
              allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST],
              allowHeaders: corsAllowHeaders,
              exposeHeaders: ['etag'],
              maxAge: Duration.minutes(10),
            },
          }
        : {}),
    });
    for (const route of Object.values(apiRoutes) as RouteSpec[]) {
      const integration = integrations[functionOf(route)];
      if (route.public) {
        const [publicRoute] = this.api.addRoutes({
          path: route.path,
          methods: [HttpMethod[route.method]],
          integration,
          authorizer: new HttpNoneAuthorizer(),
        });
        if (publicRoute) {
          Validations.of(publicRoute).acknowledge({
            id: 'AwsSolutions-APIG4',
            reason: route.publicBecause ?? 'Public route',
          });
        }
        continue;
      }
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
        authorizer,
        authorizationScopes: [apiScope],
      });
    }

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.THREE_MONTHS });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // HTTP API context variables (the REST API's standard JSON fields do not all exist here).
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            responseLength: '$context.responseLength',
            agent: '$context.authorizer.claims.sub',
            authorizerError: '$context.authorizer.error',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
  }
}
