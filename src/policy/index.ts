/** The trust policy: model, parser, evaluation, and the glob matcher for scopes and claims. */
export { PolicyError, type PolicyErrorCode } from './errors.js';
export { globMatch } from './glob.js';
export {
  parsePolicy, ruleFor, signerMatches, evaluate,
  type Policy, type PolicyRule, type SignerRule, type VerifiedSignatureFacts, type PolicyVerdict,
} from './model.js';
