import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{signImages}from"./chunk-ZZCWJXGE.js";import{PROVIDER_OPTIONS,PROVIDER_USAGE,announcingProvider,providerFromFlags}from"./chunk-PPMYJTPN.js";import"./chunk-JI4NF572.js";import{TIMEOUT_OPTION,deadlineFromFlag,timeoutUsage}from"./chunk-F7ENSKOD.js";import{runCommand}from"./chunk-NAJCFSEN.js";import{UsageError,printable}from"./chunk-XXCMBVWR.js";import{DEFAULT_SIGN_BUDGET_MS}from"./chunk-WIPHR7ZQ.js";import"./chunk-VZWIJIF7.js";import"./chunk-E6IDJBQO.js";import{readFile}from"node:fs/promises";var USAGE=`usage: opk-attest sign IMAGE... [options]

Signs every SBOM and provenance statement of each IMAGE (name@digest or name:tag) with one
OpenPubkey PK token, records the signatures in the transparency log and attaches them as OCI
referrers. The images' digests and tags never change. Statements already signed by the same
identity (issuer, sub and workflow of the token) are not signed again unless --force; another
identity signs beside them. When the identity is not known before the token (file and
client-credentials providers, or outside a GitHub workflow), the token is requested first.
A tag is resolved once; the output names the index (or manifest) digest that was signed, and
every line names its image.

options:
${PROVIDER_USAGE}  --platform OS/ARCH         only this platform; repeatable
  --sbom FILE                also sign this SPDX or CycloneDX JSON document for every platform
  --predicate-type URI       with --predicate: sign FILE as a predicate of this type
  --predicate FILE
  --transparency-log URL|false
                             Rekor URL (default https://rekor.sigstore.dev); false: do not log
  --referrers-repository R   store signatures in repository R of the same registry
  --insecure-registry HOST   speak plain http to HOST; repeatable
  --force                    sign statements this identity already signed
  --json                     print the result as JSON: images (each with the digest its reference
                             resolved to and signed, and its platforms), signed and already signed
                             statements (image, platform, subject, artifact digest, log index), signer
${timeoutUsage(DEFAULT_SIGN_BUDGET_MS)}`,SPEC={name:"sign",usage:USAGE,positionals:{min:1,max:1e3},options:{...PROVIDER_OPTIONS,...TIMEOUT_OPTION,platform:{type:"string",multiple:!0},sbom:{type:"string"},"predicate-type":{type:"string"},predicate:{type:"string"},"transparency-log":{type:"string"},"referrers-repository":{type:"string"},"insecure-registry":{type:"string",multiple:!0},force:{type:"boolean"},json:{type:"boolean"}}};function signCommand(argv){return runCommand(SPEC,argv,async({values:v,positionals})=>{if(!!v["predicate-type"]!=!!v.predicate)throw new UsageError("--predicate-type and --predicate go together");let deadline=deadlineFromFlag(v.timeout,DEFAULT_SIGN_BUDGET_MS),provider=announcingProvider(providerFromFlags(v,{deadline}),SPEC.name,v["token-file"]),result=await signImages({images:positionals,provider,...v.platform?{platforms:v.platform}:{},extra:{...v.sbom?{sbom:await readInput(v.sbom,"--sbom")}:{},...v.predicate?{predicate:{type:v["predicate-type"],bytes:await readInput(v.predicate,"--predicate")}}:{}},transparencyLog:v["transparency-log"]==="false"?!1:v["transparency-log"]??"https://rekor.sigstore.dev",...v["referrers-repository"]?{referrersRepository:v["referrers-repository"]}:{},registry:{insecureRegistries:v["insecure-registry"]??[]},force:v.force??!1,deadline,log:line=>process.stderr.write(`${line}
`)});return process.stdout.write(v.json?`${JSON.stringify(result,null,2)}
`:printable(resultText(result))),0})}function resultText(r){return[...r.images.map(i=>`image  ${i.image}  ${i.kind} ${i.digest}  ${i.platforms.join(",")}`),...r.signed.map(s=>`signed  ${s.image}  ${s.platform}  ${s.predicateType}  ${s.artifactDigest}  log ${s.logIndex??"-"}`),...r.skipped.map(s=>`already signed  ${s.image}  ${s.platform}  ${s.predicateType}  ${s.artifactDigest}`)].map(l=>`${l}
`).join("")}async function readInput(path,option){try{return await readFile(path)}catch(err){throw new UsageError(`cannot read ${option} ${path} (${err.code??"error"})`,err)}}export{signCommand};
