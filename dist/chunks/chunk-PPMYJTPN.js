import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{oneOf,required}from"./chunk-NAJCFSEN.js";import{UsageError}from"./chunk-XXCMBVWR.js";import{clientCredentialsProvider,githubActionsProvider,staticTokenProvider}from"./chunk-WIPHR7ZQ.js";var PROVIDER_OPTIONS={provider:{type:"string"},issuer:{type:"string"},"token-file":{type:"string"},"client-id":{type:"string"},"client-secret-env":{type:"string"},"commitment-claim":{type:"string"}},PROVIDER_USAGE=`  --provider NAME            github (default): the GitHub Actions job's OIDC endpoint
                               (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN; needs permissions: id-token: write)
                             file: an ID token read from --token-file once the commitment is
                               announced on stderr (use a named pipe, written after that line)
                             client-credentials: OAuth 2.0 client credentials at --issuer
  --issuer URL               expected issuer (github: default the issuer of GITHUB_SERVER_URL's GitHub:
                               https://token.actions.githubusercontent.com[/<enterprise-slug>],
                               https://token.actions.<sub>.ghe.com, https://<host>/_services/token on GHES;
                               required for client-credentials)
  --token-file PATH          file: where the ID token is read from
  --client-id ID             client-credentials: the client id
  --client-secret-env NAME   client-credentials: the environment variable holding the secret
  --commitment-claim aud|nonce
                             file, client-credentials: where the commitment goes (default aud;
                               github always uses aud)
`,PROVIDERS=["github","file","client-credentials"],PROVIDER_SPECIFIC=["issuer","token-file","client-id","client-secret-env","commitment-claim"],ACCEPTED={github:["issuer"],file:["issuer","token-file","commitment-claim"],"client-credentials":["issuer","client-id","client-secret-env","commitment-claim"]};function maskOnStderr(secret){let data=secret.replaceAll("%","%25").replaceAll("\r","%0D").replaceAll(`
`,"%0A");process.stderr.write(`::add-mask::${data}
`)}function providerFromFlags(v,http={}){let name=oneOf(v.provider??"github","--provider",PROVIDERS);for(let option of PROVIDER_SPECIFIC)if(v[option]!==void 0&&!ACCEPTED[name].includes(option))throw new UsageError(`--${option} does not apply to --provider ${name}`);let claim=oneOf(v["commitment-claim"]??"aud","--commitment-claim",["aud","nonce"]);return name==="github"?githubActionsProvider({http,...process.env.GITHUB_ACTIONS==="true"?{setSecret:maskOnStderr}:{},...v.issuer===void 0?{}:{issuer:v.issuer}}):name==="file"?staticTokenProvider({source:{file:required(v["token-file"],"--token-file PATH")},commitmentClaim:claim,issuer:v.issuer}):clientCredentialsProvider({issuer:required(v.issuer,"--issuer URL"),clientId:required(v["client-id"],"--client-id ID"),clientSecret:secretFromEnv(required(v["client-secret-env"],"--client-secret-env NAME")),commitmentClaim:claim,http})}function secretFromEnv(name){let secret=process.env[name];if(!secret)throw new UsageError(`environment variable ${name} (named by --client-secret-env) is not set or empty`);return secret}function announcingProvider(provider,command,tokenFile){return provider.name!=="static-token"?provider:{...provider,requestIdToken(commitment){return process.stderr.write(`opk-attest ${command}: commitment ${commitment}; waiting for an ID token with it as "${provider.commitmentClaim}" in ${tokenFile}
`),provider.requestIdToken(commitment)}}}export{PROVIDER_OPTIONS,PROVIDER_USAGE,providerFromFlags,announcingProvider};
