import { measureBundles } from '../bundles';
import { measureSdkRequestCpu } from '../sdkRequestCpu';
import { figuresMarker, progress } from '../suite';

/** Lambda bundle sizes and import times, and the SDK client's CPU per request (no local stack). */
progress('Lambda bundles');
const figures = await measureBundles();
progress('SDK client CPU per request');
figures.push(...(await measureSdkRequestCpu()));
console.log(`${figuresMarker}${JSON.stringify(figures)}`);
