/** Entry point of the verify sub-action (`dist/verify.js`). */
import { runVerifyAction } from './verify.js';

await runVerifyAction();
