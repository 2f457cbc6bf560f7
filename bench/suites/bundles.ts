import { measureBundles } from '../bundles';
import { figuresMarker, progress } from '../suite';

/** Lambda bundle sizes and import times (no local stack). */
progress('Lambda bundles');
console.log(`${figuresMarker}${JSON.stringify(await measureBundles())}`);
