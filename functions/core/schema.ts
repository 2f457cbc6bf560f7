import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// zod/mini ships without messages ("Invalid input" for everything); the API's problem details and the
// configuration errors list zod's English ones, as full zod gives them. Every schema in functions/ and
// workflows/ is built from this module (`import * as z`), so the messages are set wherever one is parsed,
// and the bundles keep only the zod functions they call.
config(en());

export * from 'zod/mini';
