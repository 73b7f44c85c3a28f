/** Entry point of the GitHub Action (`dist/index.js`). */
import { runSignAction } from './sign.js';

await runSignAction();
