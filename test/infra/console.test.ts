import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { corsAllowHeaders } from '../../functions/api/routes';
import { consoleContentSecurityPolicy, deployedConnectSources } from '../../infra/consoleSecurityHeaders';
import { buildFastStack } from './fastApp';

// Verifies how the agent console is deployed: a private bucket read by CloudFront through origin
// access control, security headers, app routes answered with index.html, the build and its
// config.json uploaded with an invalidation, and Cognito and the API pointing back at the console.
let template: Template;
let distributionId: string;
let deployedPolicy: unknown;

beforeAll(() => {
  const { stack } = buildFastStack();
  template = Template.fromStack(stack);
  deployedPolicy = stack.resolve(
    consoleContentSecurityPolicy(
      deployedConnectSources(stack.region, stack.urlSuffix, stack.agentApi.domain.baseUrl()),
    ),
  );
  distributionId = stack.getLogicalId(
    stack.agentConsole.distribution.node.defaultChild as Parameters<typeof stack.getLogicalId>[0],
  );
});

const consoleUrl = (path?: string) => ({
  'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }, ...(path ? [path] : [])]],
});

describe('agent console', () => {
  it('is read from S3 only by this distribution, through origin access control', () => {
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        Origins: [Match.objectLike({ OriginAccessControlId: Match.anyValue() })],
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
      }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:GetObject',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });

  it('answers app routes with index.html and adds security headers', () => {
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        CustomErrorResponses: [403, 404].map((code) => ({
          ErrorCode: code,
          ResponseCode: 200,
          ResponsePagePath: '/index.html',
          ErrorCachingMinTTL: 0,
        })),
      }),
    });
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: Match.objectLike({
            // The policy the local console server sends too (the browser tests run under it).
            ContentSecurityPolicy: deployedPolicy,
          }),
          StrictTransportSecurity: Match.objectLike({ AccessControlMaxAgeSec: 31536000 }),
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ContentTypeOptions: { Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
        }),
      }),
    });
  });

  it('lets the console connect to the region’s HTTP APIs and its Cognito domain, not to any https origin', () => {
    const policy = JSON.stringify(deployedPolicy);
    expect(policy).toContain("connect-src 'self' https://*.execute-api.");
    expect(policy).toContain('.auth.');
    expect(policy).not.toMatch(/https:[ ;]/);
  });

  it('uploads the build with config.json and invalidates the entry points', () => {
    const deployments = Object.values(template.findResources('Custom::CDKBucketDeployment'));
    expect(deployments).toHaveLength(1);
    const props = (deployments[0] as { Properties: Record<string, unknown> }).Properties;
    expect(props.DistributionPaths).toEqual(['/index.html', '/config.json']);
    // The build, and config.json whose values (API URL, Cognito ids) resolve at deploy.
    expect(props.SourceObjectKeys).toHaveLength(2);
    const markers = JSON.stringify(props.SourceMarkers);
    expect(markers).toContain('"ApiEndpoint"');
    expect(markers).toContain('AgentClient');
    expect(markers).toContain('/oauth2/token');
    expect(markers).toContain('/oauth2/revoke');
  });

  it('gives the console 15-minute access tokens and a refresh token of a working day that it may revoke', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      EnableTokenRevocation: true,
      AccessTokenValidity: 15,
      IdTokenValidity: 15,
      RefreshTokenValidity: 720,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'minutes' },
    });
  });

  it('is where Cognito sends agents back to, and the origin the API allows', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: Match.arrayWith([consoleUrl('/callback')]),
      LogoutURLs: Match.arrayWith([consoleUrl('/signed-out')]),
      AllowedOAuthFlows: ['code'],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: [consoleUrl()],
        AllowMethods: ['GET', 'POST'],
        AllowHeaders: corsAllowHeaders,
        ExposeHeaders: ['etag'],
        MaxAge: 600,
      },
    });
  });
});
