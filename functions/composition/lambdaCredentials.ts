import { type FromEnvInit, fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * The default credential provider of every SDK client in the Lambda bundles, in place of the SDK's
 * chain (`@aws-sdk/credential-provider-node`, which `lambdaEsbuildOptions` aliases to this module). Lambda puts
 * the function role's credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN), which is the chain's first source and the one it settles on there; the rest of the
 * chain (profiles, SSO, web identity, the STS and SSO clients they need, container and instance
 * metadata) is about 90 KB of every bundle and a good part of its import. The local stack gives each
 * client its credentials explicitly, so neither runtime asks the chain for more.
 */
export const defaultProvider = (init?: FromEnvInit) => fromEnv(init);
