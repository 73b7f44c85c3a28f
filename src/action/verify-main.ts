/** Entry point of the verify sub-action (`dist/verify.js`). */
import * as core from '@actions/core';

core.setFailed('opk-attest/verify: verification is not implemented yet in this build');
