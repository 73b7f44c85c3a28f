import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{MIN_PASSPHRASE_LENGTH,addSigner,delegateScope,emptyJwksArchive,generateRoleKey,initRepository,mergeJwksArchive,parsePublicKeyFile,policyIssuers,publishRepository,readDelegations,readStagedArchive,readStagedPolicy,removeDelegation,removeSigner,revokeDigest,revokeSigner,rotateRoleKey,setRequire,setThreshold,stageArchive,stageLogKey,stagePolicy,summarizeRepository,unstageLogKey}from"./chunk-ZOV76W6K.js";import"./chunk-RDAMVZCL.js";import{fetchJwks}from"./chunk-RLHUZ7DG.js";import"./chunk-3WZ54MBB.js";import{atMostOne,integer,keyValues,required,runCommand}from"./chunk-2LP6KP6H.js";import{printable,safeJson,safeText}from"./chunk-YVKP2PCG.js";import{UsageError}from"./chunk-FELRAR72.js";import{parseDigest}from"./chunk-HCFNHI4R.js";import"./chunk-K7DFXCGG.js";import"./chunk-FTALL5KJ.js";import"./chunk-XJZX5YZ4.js";var PASSPHRASE_ENV="OPK_ATTEST_TRUST_PASSPHRASE",DIR_OPTIONS={dir:{type:"string",short:"d"}},EXPIRY_OPTIONS={expiry:{type:"string",multiple:!0}},DIR_USAGE=`  --dir DIR, -d DIR          the trust directory (default: the current directory)
`,EXPIRY_USAGE=`  --expiry ROLE=DURATION     lifetime of newly signed metadata, e.g. timestamp=12h, snapshot=7d,
                             targets=90d, root=365d (the defaults); repeatable
passphrase: from ${PASSPHRASE_ENV} (never a flag)
`,ROLES=["root","targets","snapshot","timestamp"],UNIT={s:1,m:60,h:3600,d:86400};function dirOf(v){return v.dir??"."}function signingOptions(v){let passphrase=process.env[PASSPHRASE_ENV];if(passphrase===void 0||passphrase==="")throw new UsageError(`set ${PASSPHRASE_ENV} to the passphrase of the trust keys`);return{passphrase,expiry:parseExpiry(v.expiry)}}function parseExpiry(values){let out={};for(let entry of values??[]){let m=/^(root|targets|snapshot|timestamp)=(\d{1,6})([smhd])$/.exec(entry);if(!m)throw new UsageError(`--expiry takes ROLE=DURATION with ROLE one of ${ROLES.join(", ")} and DURATION like 12h or 7d`);out[m[1]]=Number(m[2])*UNIT[m[3]]}return out}function say(...lines){process.stdout.write(`${printable(lines.join(`
`))}
`)}var STAGED_NOTE='staged; run "opk-attest trust publish" to sign and publish it';async function dispatch(name,usage,table,argv){let[sub,...rest]=argv;if(sub==="--help"||sub==="-h")return process.stdout.write(usage),0;let run=sub===void 0||!Object.hasOwn(table,sub)?void 0:table[sub];return run?run(rest):(process.stderr.write(`opk-attest ${name}: ${sub===void 0?"missing subcommand":"unknown subcommand"}; expected ${Object.keys(table).join(", ")}
${usage}`),2)}var USAGE=`usage: opk-attest trust init DIR [options]

Creates a trust directory: one Ed25519 key per top-level TUF role (root, targets, snapshot,
timestamp), encrypted with the passphrase in ${PASSPHRASE_ENV} (at least ${MIN_PASSPHRASE_LENGTH} characters),
root version 1, an empty policy (nothing verifies until signers are added) and a first publish.
Hand DIR/repository/1.root.json to verifiers (--tuf-root) and serve DIR/repository/.

options:
${EXPIRY_USAGE}`,SPEC={name:"trust init",usage:USAGE,positionals:{min:1,max:1},options:{...EXPIRY_OPTIONS}};function initCommand(argv){return runCommand(SPEC,argv,async({values:v,positionals})=>{let dir=positionals[0],made=await initRepository(dir,signingOptions(v));return say(`initialised trust directory ${dir}`,...Object.entries(made.keyids).map(([role,id])=>`  ${role.padEnd(9)} key ${id}`),`trusted root for verifiers: ${made.rootFile}`,'next: "opk-attest trust signer add NAME --scope GLOB --issuer URL --claim repository=OWNER/REPO", then "opk-attest trust publish"'),0})}var ROLE_USAGE=`  --role ROLE                edit the policy fragment of delegated role ROLE (default: the top-level policy)
`,USAGE2=`usage: opk-attest trust signer <add|remove|list> [options]

  add NAME --scope GLOB --issuer URL [--claim CLAIM=GLOB]\u2026
                             allow a signer in the rule of scope GLOB (created if missing, before any
                             broader rule): tokens of issuer URL whose claims match, e.g.
                             --claim repository=acme/app --claim ref=refs/heads/main
  remove NAME [--scope GLOB] remove a signer from one rule or from all (a rule left empty goes)
  list                       show the rules and their signers

options:
${ROLE_USAGE}${DIR_USAGE}`,ADD={name:"trust signer add",usage:USAGE2,positionals:{min:1,max:1},options:{...DIR_OPTIONS,scope:{type:"string"},issuer:{type:"string"},claim:{type:"string",multiple:!0},role:{type:"string"}}},REMOVE={name:"trust signer remove",usage:USAGE2,positionals:{min:1,max:1},options:{...DIR_OPTIONS,scope:{type:"string"},role:{type:"string"}}},LIST={name:"trust signer list",usage:USAGE2,options:{...DIR_OPTIONS,role:{type:"string"}}};function signerCommand(argv){return dispatch("trust signer",USAGE2,{add,remove,list},argv)}function add(argv){return runCommand(ADD,argv,async({values:v,positionals})=>{let dir=dirOf(v),name=positionals[0],scope=required(v.scope,"--scope"),claims=keyValues(v.claim,"--claim"),policy=addSigner(await readStagedPolicy(dir,v.role),scope,{name,issuer:required(v.issuer,"--issuer"),claims});return await stagePolicy(dir,policy,v.role),say(`signer ${name} added to rule ${scope}${v.role?` of delegated role ${v.role}`:""}; ${STAGED_NOTE}`),Object.keys(claims).length===0&&say(`warning: no --claim: any identity of ${v.issuer} may sign images in ${scope}`),0})}function remove(argv){return runCommand(REMOVE,argv,async({values:v,positionals})=>{let dir=dirOf(v),name=positionals[0],{policy,removedRules}=removeSigner(await readStagedPolicy(dir,v.role),name,v.scope);return await stagePolicy(dir,policy,v.role),say(`signer ${name} removed${removedRules.length?`; rules left without signers were removed: ${removedRules.join(", ")}`:""}; ${STAGED_NOTE}`),0})}function list(argv){return runCommand(LIST,argv,async({values:v})=>{let dir=dirOf(v),roles=v.role?[v.role]:[void 0,...(await readDelegations(dir)).map(d=>d.role)];for(let role of roles)say(...describeRules(await readStagedPolicy(dir,role),role));return 0})}function describeRules(policy,role){let head=role?`delegated role ${role}:`:"top-level policy:";return policy.rules.length===0?[head,"  (no rules)"]:[head,...policy.rules.flatMap(r=>[`  scope ${safeText(r.scope)}: ${r.threshold} of ${r.signers.length} signer(s), log ${r.transparencyLog}, ${r.level}${r.require.length?`, requires ${r.require.map(safeText).join(", ")}`:""}`,...r.signers.map(s=>`    ${safeText(s.name)}${policy.revoked.signers.includes(s.name)?" (revoked)":""}: ${safeText(s.issuer)} ${Object.entries(s.claims).map(([k,g])=>`${safeText(k)}=${safeText(g)}`).join(" ")||"(any identity)"}`)])]}var USAGE3=`usage: opk-attest trust inspect [options]

Shows the policy (rules, signers, thresholds, required predicates), revocations, delegations,
archived OIDC provider keys, transparency-log keys, the published roles with their versions,
keys and expiry, and the staged changes not yet published.

options:
  --json                     print the summary as JSON
${DIR_USAGE}`,SPEC2={name:"trust inspect",usage:USAGE3,options:{...DIR_OPTIONS,json:{type:"boolean"}}};function inspectTrustCommand(argv){return runCommand(SPEC2,argv,async({values:v})=>{let s=await summarizeRepository(dirOf(v));return v.json?process.stdout.write(`${safeJson(toJson(s))}
`):say(...describe(s,new Date)),0})}function describe(s,now){return[`repository: ${s.repository} (serve this directory); newest root: ${s.rootFile}`,"roles:",...s.roles.map(r=>`  ${r.role.padEnd(10)} v${String(r.version).padEnd(4)} expires ${r.expires}${expiryNote(r.expires,now)}  ${r.threshold} of ${r.keyids.length} key(s): ${r.keyids.map(k=>k.slice(0,12)).join(", ")}`),...describeRules(s.policy),`revoked digests: ${s.policy.revoked.digests.join(", ")||"none"}`,`revoked signers: ${s.policy.revoked.signers.map(safeText).join(", ")||"none"}`,`delegations:${s.delegations.length===0?" none":""}`,...s.delegations.flatMap(d=>[`  ${d.role}: scope ${safeText(d.scope)}, ${d.threshold} of ${d.keys.length} key(s)`,...describeRules(s.fragments.get(d.role)??{rules:[],revoked:{digests:[],signers:[]}},d.role).map(l=>`  ${l}`)]),`archived OIDC provider keys:${s.archives.length===0?' none (run "trust jwks sync")':""}`,...s.archives.flatMap(a=>[`  ${safeText(a.issuer)}: ${a.keys.length} key(s)`,...a.keys.map(k=>`    kid ${safeText(k.jwk.kid??"(none)")} ${k.jwk.kty} jkt ${k.thumbprint} first seen ${k.firstSeen}, last seen ${k.lastSeen}`)]),`transparency-log keys: ${s.logIds.join(", ")||"none"}`,`unpublished changes: ${s.unpublished.length?`${s.unpublished.join(", ")} (run "opk-attest trust publish")`:"none"}`]}function expiryNote(expires,now){let left=Date.parse(expires)-now.getTime();if(left<=0)return' (EXPIRED: run "trust publish")';let hours=Math.floor(left/36e5);return hours<48?` (in ${hours}h)`:` (in ${Math.floor(hours/24)}d)`}function toJson(s){return{...s,delegations:s.delegations.map(d=>({role:d.role,scope:d.scope,threshold:d.threshold,keyids:d.keys.map(k=>k.keyID)})),fragments:Object.fromEntries(s.fragments)}}var USAGE4=`usage: opk-attest trust jwks sync [--issuer URL]\u2026 [options]

Fetches each issuer's live JWKS by OIDC discovery and merges it into the archive
oidc/<issuer host>/jwks.json: new keys are added with first/last seen, known keys get last seen
now, and no key is ever removed, so signatures made before a provider rotates keep verifying.
Without --issuer: every issuer the staged policies name. Run it regularly (e.g. daily), then publish.

options:
  --issuer URL               an issuer to sync; repeatable
${DIR_USAGE}`,SYNC={name:"trust jwks sync",usage:USAGE4,options:{...DIR_OPTIONS,issuer:{type:"string",multiple:!0}}};function jwksCommand(argv){return dispatch("trust jwks",USAGE4,{sync},argv)}function sync(argv){return runCommand(SYNC,argv,async({values:v})=>{let dir=dirOf(v),issuers=v.issuer?.length?v.issuer:await namedIssuers(dir);issuers.length===0&&say("no issuer to sync: the policy names none; add a signer or pass --issuer URL");for(let issuer of issuers){let archive=await readStagedArchive(dir,issuer)??emptyJwksArchive(issuer),merged=mergeJwksArchive(archive,await fetchJwks(issuer),new Date);await stageArchive(dir,merged.archive),say(`${issuer}: ${merged.added.length} new key(s)${merged.added.length?` (${merged.added.map(k=>k.jwk.kid??k.thumbprint).join(", ")})`:""}, ${merged.seen} already archived, ${merged.archive.keys.length} in the archive`);for(let s of merged.skipped)say(`  skipped live key ${s.kid??"(no kid)"}: ${s.reason}`)}return issuers.length>0&&say(STAGED_NOTE),0})}async function namedIssuers(dir){let roles=[void 0,...(await readDelegations(dir)).map(d=>d.role)],all=await Promise.all(roles.map(async r=>policyIssuers(await readStagedPolicy(dir,r))));return[...new Set(all.flat())]}import{readFile}from"node:fs/promises";var KEY_USAGE=`usage: opk-attest trust key <generate|rotate> ROLE [options]

ROLE is root, targets, snapshot, timestamp or a delegated role name.
  generate ROLE   add a key to ROLE (published at once); for a name that is not a role yet, make
                  the key pair of a future delegation and write its public key file
                  DIR/keys/ROLE.pub.json for "trust delegate --key"
  rotate ROLE     replace ROLE's keys with a new key and publish; the old private keys are deleted.
                  Rotating root writes root N+1 signed by the old and the new root keys, which
                  clients holding an older root follow. Publishes whatever else is staged too.
New private keys are encrypted with the passphrase.

options:
${DIR_USAGE}${EXPIRY_USAGE}`,DELEGATE_USAGE=`usage: opk-attest trust delegate --scope GLOB --key FILE\u2026 [--role NAME] [--threshold N] [options]

Delegates the image scope GLOB (e.g. ghcr.io/acme/**) to a role holding the key(s) in FILE (public
key files from "trust key generate NAME"). The role's policy fragment (edit it with --role NAME
on signer, threshold, require and revoke) may only hold rules within GLOB; its rules come before
the top-level rules. The role's private key must be in DIR/keys when its fragment is published.
Staged: run "trust publish".

options:
  --role NAME                the role's name (default: the name in the key file)
  --threshold N              signatures the role's metadata needs (default 1)
${DIR_USAGE}`,UNDELEGATE_USAGE=`usage: opk-attest trust undelegate ROLE [options]

Withdraws a delegation and its policy fragment (staged: run "trust publish").

options:
${DIR_USAGE}`,KEY={positionals:{min:1,max:1},options:{...DIR_OPTIONS,...EXPIRY_OPTIONS},usage:KEY_USAGE},DELEGATE={name:"trust delegate",usage:DELEGATE_USAGE,options:{...DIR_OPTIONS,scope:{type:"string"},key:{type:"string",multiple:!0},role:{type:"string"},threshold:{type:"string"}}},UNDELEGATE={name:"trust undelegate",usage:UNDELEGATE_USAGE,positionals:{min:1,max:1},options:{...DIR_OPTIONS}},MAX_PUBLIC_KEY_BYTES=16*1024;function keyCommand(argv){return dispatch("trust key",KEY_USAGE,{generate:rest=>keyChange("generate",rest),rotate:rest=>keyChange("rotate",rest)},argv)}function keyChange(kind,argv){return runCommand({...KEY,name:`trust key ${kind}`},argv,async({values:v,positionals})=>{let role=positionals[0];return say(...describeChange(role,await(kind==="generate"?generateRoleKey:rotateRoleKey)(dirOf(v),role,signingOptions(v)))),0})}function describeChange(role,c){if(c.publicKeyFile)return[`new key ${c.keyid} for delegation ${role}`,`public key file: ${c.publicKeyFile} (pass it to "trust delegate --key")`];let p=c.published;return[`role ${role} now signs with key ${c.keyid}${c.removed.length?`; removed ${c.removed.join(", ")}`:""}`,`published: root v${p.rootVersion}, snapshot v${p.snapshotVersion}, timestamp v${p.timestampVersion}`]}function delegateCommand(argv){return runCommand(DELEGATE,argv,async({values:v})=>{let scope=required(v.scope,"--scope");if(!v.key?.length)throw new UsageError("missing --key");let files=await Promise.all(v.key.map(async f=>parsePublicKeyFile(await readKeyFile(f),f))),names=[...new Set(files.map(f=>f.role))];if(v.role===void 0&&names.length!==1)throw new UsageError("the key files name different roles; give --role NAME");let role=v.role??names[0],threshold=v.threshold===void 0?1:integer(v.threshold,"--threshold",1);return await delegateScope(dirOf(v),{role,scope,keys:files.map(f=>f.key),threshold}),say(`scope ${scope} delegated to role ${role} (${files.length} key(s), threshold ${threshold}); ${STAGED_NOTE}`),0})}function undelegateCommand(argv){return runCommand(UNDELEGATE,argv,async({values:v,positionals})=>(await removeDelegation(dirOf(v),positionals[0]),say(`delegation ${positionals[0]} withdrawn; ${STAGED_NOTE}`),0))}async function readKeyFile(file){let bytes;try{bytes=await readFile(file)}catch(err){throw new UsageError(`--key file cannot be read (${err.code??"error"})`,err)}if(bytes.length>MAX_PUBLIC_KEY_BYTES)throw new UsageError(`--key file is larger than ${MAX_PUBLIC_KEY_BYTES} bytes; it is not a public key file`);return bytes}var USAGE5=`usage: opk-attest trust publish [options]

Validates everything staged (policies parse, delegated rules stay in their scope, archives and log
keys parse; nothing is signed otherwise), re-signs each targets role whose content changed or that
nears expiry, and always signs a new snapshot and timestamp. Run it at least daily: the timestamp
expires after a day by default. Then upload DIR/repository/ (timestamp.json last).

options:
${DIR_USAGE}${EXPIRY_USAGE}`,SPEC3={name:"trust publish",usage:USAGE5,options:{...DIR_OPTIONS,...EXPIRY_OPTIONS}};function publishCommand(argv){return runCommand(SPEC3,argv,async({values:v})=>{let r=await publishRepository(dirOf(v),signingOptions(v)),roles=Object.entries(r.signed).map(([role,version])=>`${role} v${version}`);return say(`published: ${roles.length?`${roles.join(", ")}, `:""}snapshot v${r.snapshotVersion}, timestamp v${r.timestampVersion} (root v${r.rootVersion})`),0})}var ROLE_USAGE2=`  --role ROLE                edit the policy fragment of delegated role ROLE (default: the top-level policy)
`,OPTIONS={...DIR_OPTIONS,scope:{type:"string"},role:{type:"string"}},THRESHOLD={name:"trust threshold",positionals:{min:1,max:1},options:OPTIONS,usage:`usage: opk-attest trust threshold N --scope GLOB [options]

Requires N distinct signers (of the rule's signers) for images in scope GLOB.

options:
${ROLE_USAGE2}${DIR_USAGE}`},REQUIRE={name:"trust require",positionals:{min:0,max:64},options:OPTIONS,usage:`usage: opk-attest trust require [TYPE\u2026] --scope GLOB [options]

Sets the predicate types (globs, e.g. https://slsa.dev/provenance/* https://spdx.dev/Document) that
an allowed signer must have signed for images in scope GLOB; no TYPE requires none.

options:
${ROLE_USAGE2}${DIR_USAGE}`},REVOKE={name:"trust revoke",positionals:{min:0,max:1},options:{...DIR_OPTIONS,signer:{type:"string"},role:{type:"string"}},usage:`usage: opk-attest trust revoke DIGEST | --signer NAME [options]

Blocks an image digest (sha256:\u2026, an index or a platform manifest) or a signer name (in a
delegated role's rules, NAME is role/name from the top level).

options:
${ROLE_USAGE2}${DIR_USAGE}`};function thresholdCommand(argv){return runCommand(THRESHOLD,argv,async({values:v,positionals})=>{let dir=dirOf(v),scope=required(v.scope,"--scope"),n=integer(positionals[0],"N",1);return await stagePolicy(dir,setThreshold(await readStagedPolicy(dir,v.role),scope,n),v.role),say(`rule ${scope} now requires ${n} distinct signer(s); ${STAGED_NOTE}`),0})}function requireCommand(argv){return runCommand(REQUIRE,argv,async({values:v,positionals})=>{let dir=dirOf(v),scope=required(v.scope,"--scope");return await stagePolicy(dir,setRequire(await readStagedPolicy(dir,v.role),scope,positionals),v.role),say(`rule ${scope} now requires ${positionals.length?positionals.join(", "):"no particular predicate"}; ${STAGED_NOTE}`),0})}function revokeCommand(argv){return runCommand(REVOKE,argv,async({values:v,positionals})=>{let dir=dirOf(v),digest=positionals[0];if(!atMostOne({DIGEST:digest!==void 0,"--signer":v.signer!==void 0}))throw new UsageError("give an image DIGEST or --signer NAME");let policy=await readStagedPolicy(dir,v.role);if(digest!==void 0){let d;try{d=parseDigest(digest,"DIGEST")}catch(err){throw new UsageError("DIGEST must be sha256: followed by 64 lowercase hex characters",err)}await stagePolicy(dir,revokeDigest(policy,d),v.role),say(`image ${d} revoked; ${STAGED_NOTE}`)}else await stagePolicy(dir,revokeSigner(policy,v.signer),v.role),say(`signer ${v.signer} revoked; ${STAGED_NOTE}`);return 0})}import{readFile as readFile2}from"node:fs/promises";var USAGE6=`usage: opk-attest trust tlog <add FILE | remove LOGID> [options]

  add FILE       trust the log whose public key (PEM, ECDSA P-256, as Rekor serves it at
                 /api/v1/log/publicKey) is in FILE; published as tlog/<logID>.pem
  remove LOGID   stop trusting a log (its 64-hex-character log ID)

options:
${DIR_USAGE}`,MAX_PEM_BYTES=16*1024,ADD2={name:"trust tlog add",usage:USAGE6,positionals:{min:1,max:1},options:{...DIR_OPTIONS}},REMOVE2={name:"trust tlog remove",usage:USAGE6,positionals:{min:1,max:1},options:{...DIR_OPTIONS}};function tlogCommand(argv){return dispatch("trust tlog",USAGE6,{add:add2,remove:remove2},argv)}function add2(argv){return runCommand(ADD2,argv,async({values:v,positionals})=>{let pem;try{pem=await readFile2(positionals[0])}catch(err){throw new UsageError(`FILE cannot be read (${err.code??"error"})`,err)}if(pem.length>MAX_PEM_BYTES)throw new UsageError(`FILE is larger than ${MAX_PEM_BYTES} bytes; it is not a PEM public key`);let logId=await stageLogKey(dirOf(v),pem.toString("utf8"));return say(`log ${logId} trusted; ${STAGED_NOTE}`),0})}function remove2(argv){return runCommand(REMOVE2,argv,async({values:v,positionals})=>{let logId=positionals[0];if(!await unstageLogKey(dirOf(v),logId))throw new UsageError('LOGID is not a staged log key; see "opk-attest trust inspect"');return say(`log ${logId} removed; ${STAGED_NOTE}`),0})}var USAGE7=`usage: opk-attest trust <subcommand> [options]

Manages a trust policy distributed through TUF: who may sign which images, how many signers,
required predicates, revocations, the archive of OIDC provider keys and transparency-log keys.

subcommands:
  init DIR                          create a trust directory: keys, root, empty policy, first publish
  signer add|remove|list            allowed signers (OIDC issuer + claim patterns) per image scope
  threshold N --scope GLOB          distinct signers required in a scope
  require TYPE\u2026 --scope GLOB        predicate types that must be signed in a scope
  revoke DIGEST | --signer NAME     block an image digest or a signer
  jwks sync [--issuer URL]          archive the providers' current signing keys (never removed)
  tlog add FILE | tlog remove ID    transparency-log public keys
  delegate --scope GLOB --key FILE  delegate an image scope to another key holder
  undelegate ROLE                   withdraw a delegation
  key generate|rotate ROLE          add or replace keys (publishes at once)
  publish                           sign what is staged and publish it
  inspect                           show the policy, signers, keys, roles and expiry

Content commands stage their change in DIR/staged/; "publish" signs it into DIR/repository/,
the directory to serve over HTTPS. Run "opk-attest trust <subcommand> --help" for its options.
`,SUBCOMMANDS={init:initCommand,signer:signerCommand,threshold:thresholdCommand,require:requireCommand,revoke:revokeCommand,jwks:jwksCommand,tlog:tlogCommand,delegate:delegateCommand,undelegate:undelegateCommand,key:keyCommand,publish:publishCommand,inspect:inspectTrustCommand};async function trustCommand(argv){return dispatch("trust",USAGE7,SUBCOMMANDS,argv)}export{trustCommand};
