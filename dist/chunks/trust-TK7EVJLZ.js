import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{ConsumerError,PROJECT_CONFIG_FILE,checkTrustSettings,configHome,describeTrustSource,repositoryRoot,trustSettingsOf,userConfigPath,writeTrustConfig}from"./chunk-NCTP5ANX.js";import{TRUST_OPTIONS,TRUST_USAGE}from"./chunk-Z7JLGZBF.js";import{DIR_OPTIONS,DIR_USAGE,EXPIRY_OPTIONS,EXPIRY_USAGE,PASSPHRASE_ENV,STAGED_NOTE,dirOf,dispatch,say,signingOptions}from"./chunk-FTENB3K5.js";import"./chunk-SJQAXNXC.js";import"./chunk-B4RIRNLP.js";import{MIN_PASSPHRASE_LENGTH,addSigner,checkIssuerUrl,delegateScope,distrustJwksKey,emptyJwksArchive,generateRoleKey,initRepository,mergeJwksArchive,parsePublicKeyFile,policyIssuers,publishRepository,readDelegations,readPublishedPolicies,readStagedArchive,readStagedPolicy,removeDelegation,removeSigner,revokeDigest,revokeScope,revokeSigner,rotateRoleKey,setRequire,setThreshold,stageArchive,stageLogKey,stagePolicy,summarizeRepository,unrevoke,unstageLogKey}from"./chunk-UXKKSKWD.js";import"./chunk-JI4NF572.js";import{atMostOne,integer,keyValues,required,runCommand}from"./chunk-NAJCFSEN.js";import{UsageError,printable,safeJson,safeText}from"./chunk-XXCMBVWR.js";import{fetchJwks,parseDigest}from"./chunk-WIPHR7ZQ.js";import"./chunk-VZWIJIF7.js";import"./chunk-VOILUVHC.js";import"./chunk-E6IDJBQO.js";var USAGE=`usage: opk-attest trust init DIR [options]

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
  remove NAME [--scope GLOB] [--lower-threshold]
                             remove a signer from one rule or from all; refused when a rule would be
                             left with fewer signers than its threshold (or none: the rule goes)
                             unless --lower-threshold
  list [--json]              show the rules and their signers (--json: as one JSON object)

options:
${ROLE_USAGE}${DIR_USAGE}`,ADD={name:"trust signer add",usage:USAGE2,positionals:{min:1,max:1},options:{...DIR_OPTIONS,scope:{type:"string"},issuer:{type:"string"},claim:{type:"string",multiple:!0},role:{type:"string"}}},REMOVE={name:"trust signer remove",usage:USAGE2,positionals:{min:1,max:1},options:{...DIR_OPTIONS,scope:{type:"string"},role:{type:"string"},"lower-threshold":{type:"boolean"}}},LIST={name:"trust signer list",usage:USAGE2,options:{...DIR_OPTIONS,role:{type:"string"},json:{type:"boolean"}}};function signerCommand(argv){return dispatch("trust signer",USAGE2,{add,remove,list},argv)}function add(argv){return runCommand(ADD,argv,async({values:v,positionals})=>{let dir=dirOf(v),name=positionals[0],scope=required(v.scope,"--scope"),claims=keyValues(v.claim,"--claim"),policy=addSigner(await readStagedPolicy(dir,v.role),scope,{name,issuer:required(v.issuer,"--issuer"),claims});return await stagePolicy(dir,policy,v.role),say(`signer ${name} added to rule ${scope}${v.role?` of delegated role ${v.role}`:""}; ${STAGED_NOTE}`),Object.keys(claims).length===0&&say(`warning: no --claim: any identity of ${v.issuer} may sign images in ${scope}`),0})}function remove(argv){return runCommand(REMOVE,argv,async({values:v,positionals})=>{let dir=dirOf(v),name=positionals[0],{policy,removedRules,lowered}=removeSigner(await readStagedPolicy(dir,v.role),name,v.scope,{lowerThreshold:v["lower-threshold"]===!0});await stagePolicy(dir,policy,v.role);let warn=line=>process.stderr.write(`opk-attest trust signer remove: warning: ${printable(line)}
`);for(let l of lowered.filter(x=>x.to>0))warn(`rule ${l.scope} now requires ${l.to} signer(s) instead of ${l.from} (--lower-threshold)`);return removedRules.length&&warn(`rules left without signers were removed (--lower-threshold): ${removedRules.join(", ")}`),say(`signer ${name} removed; ${STAGED_NOTE}`),0})}function list(argv){return runCommand(LIST,argv,async({values:v})=>{let dir=dirOf(v),roles=v.role?[v.role]:[void 0,...(await readDelegations(dir)).map(d=>d.role)],policies=await Promise.all(roles.map(async role=>({role,policy:await readStagedPolicy(dir,role)})));if(v.json)process.stdout.write(`${safeJson({policies:policies.map(p=>rulesJson(p.policy,p.role))})}
`);else for(let{role,policy}of policies)say(...describeRules(policy,role));return 0})}function describeRules(policy,role){let head=role?`delegated role ${role}:`:"top-level policy:";return policy.rules.length===0?[head,"  (no rules)"]:[head,...policy.rules.flatMap(r=>[`  scope ${safeText(r.scope)}: ${r.threshold} of ${r.signers.length} signer(s), log ${r.transparencyLog}, ${r.level}${r.require.length?`, requires ${r.require.map(safeText).join(", ")}`:""}`,...r.signers.map(s=>`    ${safeText(s.name)}${policy.revoked.signers.includes(s.name)?" (revoked)":""}: ${safeText(s.issuer)} ${Object.entries(s.claims).map(([k,g])=>`${safeText(k)}=${safeText(g)}`).join(" ")||"(any identity)"}`)])]}function rulesJson(policy,role){return{role:role??null,rules:policy.rules.map(r=>({...r,signers:r.signers.map(s=>{let revoked=policy.revoked.signers.includes(s.name),reason=revoked?policy.revoked.reasons?.[s.name]:void 0;return{...s,revoked,...reason===void 0?{}:{revokedReason:reason}}})}))}}var MAX_DIFF_LINES=4e3;function effectiveRuleLines(p){let lines=[...describeRules(p.policy),...revokedLines(p.policy,"")];for(let[role,fragment]of[...p.fragments].sort(([a],[b])=>a.localeCompare(b)))lines.push(...describeRules(fragment,role),...revokedLines(fragment,`${role}: `));return lines}function revokedLines(policy,prefix){let r=policy.revoked,why=k=>r.reasons&&Object.hasOwn(r.reasons,k)?`: ${safeText(r.reasons[k])}`:"";return[...r.digests.map(d=>`  ${prefix}revoked image ${d}${why(d)}`),...r.signers.map(s=>`  ${prefix}revoked signer ${safeText(s)}${why(s)}`),...(r.scopes??[]).map(s=>`  ${prefix}revoked scope ${safeText(s.scope)}${s.before?` (signatures logged before ${s.before})`:""}${s.reason?`: ${safeText(s.reason)}`:""}`)]}function lineDiff(before,after){if(before.length>MAX_DIFF_LINES||after.length>MAX_DIFF_LINES)return[...before.map(line=>({op:"-",line})),...after.map(line=>({op:"+",line}))];let n=before.length,m=after.length,lcs=Array.from({length:n+1},()=>new Uint32Array(m+1));for(let i2=n-1;i2>=0;i2--)for(let j2=m-1;j2>=0;j2--)lcs[i2][j2]=before[i2]===after[j2]?lcs[i2+1][j2+1]+1:Math.max(lcs[i2+1][j2],lcs[i2][j2+1]);let out=[],i=0,j=0;for(;i<n||j<m;)i<n&&j<m&&before[i]===after[j]?(out.push({op:" ",line:before[i++]}),j++):j<m&&(i===n||lcs[i][j+1]>=lcs[i+1][j])?out.push({op:"+",line:after[j++]}):out.push({op:"-",line:before[i++]});return out}function formatDiff(title,diff){return diff.every(d=>d.op===" ")?[`${title}: no change`]:[`${title}:`,...diff.map(d=>`${d.op} ${d.line}`)]}var USAGE3=`usage: opk-attest trust inspect [options]

Shows the policy (rules, signers, thresholds, required predicates), revocations, delegations,
archived OIDC provider keys, transparency-log keys, the published roles with their versions,
keys and expiry, and the staged changes not yet published, with the effective rules published
and staged as a diff.

options:
  --json                     print the summary as JSON
${DIR_USAGE}`,SPEC2={name:"trust inspect",usage:USAGE3,options:{...DIR_OPTIONS,json:{type:"boolean"}}};function inspectTrustCommand(argv){return runCommand(SPEC2,argv,async({values:v})=>{let s=await summarizeRepository(dirOf(v)),diff=lineDiff(effectiveRuleLines(await readPublishedPolicies(dirOf(v))),effectiveRuleLines({policy:s.policy,fragments:s.fragments}));return v.json?process.stdout.write(`${safeJson({...toJson(s),ruleChanges:changed(diff)})}
`):say(...describe(s,new Date),...formatDiff("effective rules (- published, + staged)",diff)),0})}function describe(s,now){return[`repository: ${s.repository} (serve this directory); newest root: ${s.rootFile}`,"roles:",...s.roles.map(r=>`  ${r.role.padEnd(10)} v${String(r.version).padEnd(4)} expires ${r.expires}${expiryNote(r.expires,now)}  ${r.threshold} of ${r.keyids.length} key(s): ${r.keyids.map(k=>k.slice(0,12)).join(", ")}`),...describeRules(s.policy),`revoked digests: ${s.policy.revoked.digests.join(", ")||"none"}`,`revoked signers: ${s.policy.revoked.signers.map(safeText).join(", ")||"none"}`,`revoked scopes: ${(s.policy.revoked.scopes??[]).map(x=>`${safeText(x.scope)}${x.before?` (logged before ${x.before})`:""}`).join(", ")||"none"}`,`delegations:${s.delegations.length===0?" none":""}`,...s.delegations.flatMap(d=>[`  ${d.role}: scope ${safeText(d.scope)}, ${d.threshold} of ${d.keys.length} key(s)`,...describeRules(s.fragments.get(d.role)??{rules:[],revoked:{digests:[],signers:[]}},d.role).map(l=>`  ${l}`)]),`archived OIDC provider keys:${s.archives.length===0?' none (run "trust jwks sync")':""}`,...s.archives.flatMap(a=>[`  ${safeText(a.issuer)}: ${a.keys.length} key(s)`,...a.keys.map(k=>`    kid ${safeText(k.jwk.kid??"(none)")} ${k.jwk.kty} jkt ${k.thumbprint} first seen ${k.firstSeen}, last seen ${k.lastSeen}${k.distrusted?`, DISTRUSTED since ${k.distrusted.since}: ${safeText(k.distrusted.reason)}`:""}`)]),`transparency-log keys: ${s.logIds.join(", ")||"none"}`,`unpublished changes: ${s.unpublished.length?`${s.unpublished.join(", ")} (run "opk-attest trust publish")`:"none"}`]}function changed(diff){return diff.filter(d=>d.op!==" ")}function expiryNote(expires,now){let left=Date.parse(expires)-now.getTime();if(left<=0)return' (EXPIRED: run "trust publish")';let hours=Math.floor(left/36e5);return hours<48?` (in ${hours}h)`:` (in ${Math.floor(hours/24)}d)`}function toJson(s){return{...s,delegations:s.delegations.map(d=>({role:d.role,scope:d.scope,threshold:d.threshold,keyids:d.keys.map(k=>k.keyID)})),fragments:Object.fromEntries(s.fragments)}}var USAGE4=`usage: opk-attest trust jwks sync [--issuer URL]\u2026 [options]
       opk-attest trust jwks remove --issuer URL --kid KID --reason TEXT [options]

remove: marks the archived key KID of issuer URL as distrusted (for a leaked provider key). It
stays in the archive; every PK token it signed then fails verification with the reason, even if
the provider still serves the key.

sync: fetches each issuer's live JWKS by OIDC discovery and merges it into the archive
oidc/<issuer host>/jwks.json: new keys are added with first/last seen, known keys get last seen
now, and no key is ever removed, so signatures made before a provider rotates keep verifying.
Without --issuer: every issuer the staged policies name. Run it regularly (e.g. daily), then publish.

options:
  --issuer URL               an issuer to sync; repeatable
${DIR_USAGE}`,REMOVE2={name:"trust jwks remove",usage:USAGE4,options:{...DIR_OPTIONS,issuer:{type:"string"},kid:{type:"string"},reason:{type:"string"}}},SYNC={name:"trust jwks sync",usage:USAGE4,options:{...DIR_OPTIONS,issuer:{type:"string",multiple:!0}}};function jwksCommand(argv){return dispatch("trust jwks",USAGE4,{sync,remove:remove2},argv)}function sync(argv){return runCommand(SYNC,argv,async({values:v})=>{let dir=dirOf(v),issuers=v.issuer?.length?v.issuer:await namedIssuers(dir);for(let issuer of v.issuer??[])checkIssuerUrl(issuer);issuers.length===0&&say("no issuer to sync: the policy names none; add a signer or pass --issuer URL");for(let issuer of issuers){let archive=await readStagedArchive(dir,issuer)??emptyJwksArchive(issuer),merged=mergeJwksArchive(archive,await fetchJwks(issuer),new Date);await stageArchive(dir,merged.archive),say(`${issuer}: ${merged.added.length} new key(s)${merged.added.length?` (${merged.added.map(k=>k.jwk.kid??k.thumbprint).join(", ")})`:""}, ${merged.seen} already archived, ${merged.archive.keys.length} in the archive`);for(let s of merged.skipped)say(`  skipped live key ${s.kid??"(no kid)"}: ${s.reason}`)}return issuers.length>0&&say(STAGED_NOTE),0})}function remove2(argv){return runCommand(REMOVE2,argv,async({values:v})=>{let dir=dirOf(v),issuer=required(v.issuer,"--issuer"),kid=required(v.kid,"--kid"),reason=required(v.reason,"--reason");checkIssuerUrl(issuer);let archive=await readStagedArchive(dir,issuer);if(!archive)throw new UsageError(`no archive of ${issuer} is staged; run "opk-attest trust jwks sync --issuer ${issuer}" first`);let r=distrustJwksKey(archive,kid,reason,new Date);return await stageArchive(dir,r.archive),say(`${issuer} key ${kid} (jkt ${r.marked.join(", ")}) distrusted: ${reason}; ${STAGED_NOTE}`),0})}async function namedIssuers(dir){let roles=[void 0,...(await readDelegations(dir)).map(d=>d.role)],all=await Promise.all(roles.map(async r=>policyIssuers(await readStagedPolicy(dir,r))));return[...new Set(all.flat())]}import{readFile}from"node:fs/promises";var KEY_USAGE=`usage: opk-attest trust key <generate|rotate> ROLE [options]

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
expires after a day by default. Prints the effective rules before and after, as a diff. Then
upload DIR/repository/ (timestamp.json last).

options:
${DIR_USAGE}${EXPIRY_USAGE}`,SPEC3={name:"trust publish",usage:USAGE5,options:{...DIR_OPTIONS,...EXPIRY_OPTIONS}};function publishCommand(argv){return runCommand(SPEC3,argv,async({values:v})=>{let before=effectiveRuleLines(await readPublishedPolicies(dirOf(v))),r=await publishRepository(dirOf(v),signingOptions(v)),after=effectiveRuleLines(await readPublishedPolicies(dirOf(v)));say(...formatDiff("effective rules (- before publishing, + after)",lineDiff(before,after)));let roles=Object.entries(r.signed).map(([role,version])=>`${role} v${version}`);return say(`published: ${roles.length?`${roles.join(", ")}, `:""}snapshot v${r.snapshotVersion}, timestamp v${r.timestampVersion} (root v${r.rootVersion})`),0})}var ROLE_USAGE2=`  --role ROLE                edit the policy fragment of delegated role ROLE (default: the top-level policy)
`,OPTIONS={...DIR_OPTIONS,scope:{type:"string"},role:{type:"string"}},THRESHOLD={name:"trust threshold",positionals:{min:1,max:1},options:OPTIONS,usage:`usage: opk-attest trust threshold N --scope GLOB [options]

Requires N distinct signers (of the rule's signers) for images in scope GLOB.

options:
${ROLE_USAGE2}${DIR_USAGE}`},REQUIRE={name:"trust require",positionals:{min:0,max:64},options:OPTIONS,usage:`usage: opk-attest trust require [TYPE\u2026] --scope GLOB [options]

Sets the predicate types (globs, e.g. https://slsa.dev/provenance/* https://spdx.dev/Document) that
an allowed signer must have signed for images in scope GLOB; no TYPE requires none.

options:
${ROLE_USAGE2}${DIR_USAGE}`};function thresholdCommand(argv){return runCommand(THRESHOLD,argv,async({values:v,positionals})=>{let dir=dirOf(v),scope=required(v.scope,"--scope"),n=integer(positionals[0],"N",1);return await stagePolicy(dir,setThreshold(await readStagedPolicy(dir,v.role),scope,n),v.role),say(`rule ${scope} now requires ${n} distinct signer(s); ${STAGED_NOTE}`),0})}function requireCommand(argv){return runCommand(REQUIRE,argv,async({values:v,positionals})=>{let dir=dirOf(v),scope=required(v.scope,"--scope");return await stagePolicy(dir,setRequire(await readStagedPolicy(dir,v.role),scope,positionals),v.role),say(`rule ${scope} now requires ${positionals.length?positionals.join(", "):"no particular predicate"}; ${STAGED_NOTE}`),0})}var ROLE_USAGE3=`  --role ROLE                edit the policy fragment of delegated role ROLE (default: the top-level policy)
`,MAX_REASON=500,REVOKE={name:"trust revoke",positionals:{min:0,max:1},options:{...DIR_OPTIONS,signer:{type:"string"},scope:{type:"string"},before:{type:"string"},reason:{type:"string"},role:{type:"string"}},usage:`usage: opk-attest trust revoke DIGEST | --signer NAME | --scope GLOB [--before DATE] [--reason TEXT] [options]

Blocks an image digest (sha256:\u2026, an index or a platform manifest), a signer name (in a delegated
role's rules, NAME is role/name from the top level), or every image whose registry/repository
matches GLOB (e.g. ghcr.io/acme/app or ghcr.io/acme/**). With --before DATE (YYYY-MM-DD or
RFC 3339), only the signatures of that scope logged before DATE are revoked (by the log's time;
signatures without a verified log time count as before). The reason is shown to verifiers.

options:
  --reason TEXT              why (shown in verify reports)
${ROLE_USAGE3}${DIR_USAGE}`},UNREVOKE={name:"trust unrevoke",positionals:{min:0,max:1},options:{...DIR_OPTIONS,signer:{type:"string"},scope:{type:"string"},role:{type:"string"}},usage:`usage: opk-attest trust unrevoke DIGEST | --signer NAME | --scope GLOB [options]

Lifts a revocation made with "trust revoke" (and its reason).

options:
${ROLE_USAGE3}${DIR_USAGE}`};function revokeCommand(argv){return runCommand(REVOKE,argv,async({values:v,positionals})=>{let dir=dirOf(v),target=pick(positionals[0],v);if(v.before!==void 0&&!("scope"in target))throw new UsageError("--before goes with --scope");let reason=v.reason===void 0?void 0:checkReason(v.reason),policy=await readStagedPolicy(dir,v.role),next,what;if("digest"in target)next=revokeDigest(policy,target.digest,reason),what=`image ${target.digest}`;else if("signer"in target)next=revokeSigner(policy,target.signer,reason),what=`signer ${target.signer}`;else{let before=v.before===void 0?void 0:utcTime(v.before);next=revokeScope(policy,{scope:target.scope,...before?{before}:{},...reason?{reason}:{}}),what=`images in scope ${target.scope}${before?` (signatures logged before ${before})`:""}`}return await stagePolicy(dir,next,v.role),say(`${what} revoked${reason?` (${reason})`:""}; ${STAGED_NOTE}`),0})}function unrevokeCommand(argv){return runCommand(UNREVOKE,argv,async({values:v,positionals})=>{let dir=dirOf(v),target=pick(positionals[0],v);await stagePolicy(dir,unrevoke(await readStagedPolicy(dir,v.role),target),v.role);let name="digest"in target?target.digest:"signer"in target?target.signer:target.scope;return say(`${name} no longer revoked; ${STAGED_NOTE}`),0})}function pick(digest,v){if(atMostOne({DIGEST:digest!==void 0,"--signer":v.signer!==void 0,"--scope":v.scope!==void 0})===void 0)throw new UsageError("give an image DIGEST, --signer NAME or --scope GLOB");if(v.signer!==void 0)return{signer:v.signer};if(v.scope!==void 0)return{scope:v.scope};try{return{digest:parseDigest(digest,"DIGEST")}}catch(err){throw new UsageError("DIGEST must be sha256: followed by 64 lowercase hex characters",err)}}function checkReason(reason){if(reason.trim()===""||reason.length>MAX_REASON||/[\u0000-\u001f\u007f]/.test(reason))throw new UsageError(`--reason must be 1 to ${MAX_REASON} printable characters on one line`);return reason}function utcTime(value){let ok=/^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/.test(value),ms=Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value)?`${value}T00:00:00Z`:value);if(!ok||Number.isNaN(ms))throw new UsageError("--before takes a date, YYYY-MM-DD (UTC midnight) or an RFC 3339 time such as 2026-05-01T12:00:00Z");return`${new Date(ms).toISOString().slice(0,19)}Z`}import{readFile as readFile2}from"node:fs/promises";var USAGE6=`usage: opk-attest trust tlog <add FILE | remove LOGID> [options]

  add FILE       trust the log whose public key (PEM, ECDSA P-256, as Rekor serves it at
                 /api/v1/log/publicKey) is in FILE; published as tlog/<logID>.pem
  remove LOGID   stop trusting a log (its 64-hex-character log ID)

options:
${DIR_USAGE}`,MAX_PEM_BYTES=16*1024,ADD2={name:"trust tlog add",usage:USAGE6,positionals:{min:1,max:1},options:{...DIR_OPTIONS}},REMOVE3={name:"trust tlog remove",usage:USAGE6,positionals:{min:1,max:1},options:{...DIR_OPTIONS}};function tlogCommand(argv){return dispatch("trust tlog",USAGE6,{add:add2,remove:remove3},argv)}function add2(argv){return runCommand(ADD2,argv,async({values:v,positionals})=>{let pem;try{pem=await readFile2(positionals[0])}catch(err){throw new UsageError(`FILE cannot be read (${err.code??"error"})`,err)}if(pem.length>MAX_PEM_BYTES)throw new UsageError(`FILE is larger than ${MAX_PEM_BYTES} bytes; it is not a PEM public key`);let logId=await stageLogKey(dirOf(v),pem.toString("utf8"));return say(`log ${logId} trusted; ${STAGED_NOTE}`),0})}function remove3(argv){return runCommand(REMOVE3,argv,async({values:v,positionals})=>{let logId=positionals[0];if(!await unstageLogKey(dirOf(v),logId))throw new UsageError('LOGID is not a staged log key; see "opk-attest trust inspect"');return say(`log ${logId} removed; ${STAGED_NOTE}`),0})}import{rm}from"node:fs/promises";import path from"node:path";var USAGE7=`usage: opk-attest trust use [trust options] [--project]
       opk-attest trust use --clear [--project]

Saves trust options so that "opk-attest verify IMAGE" (and "docker opk \u2026") need none: per user in
$XDG_CONFIG_HOME/opk-attest/trust.json (default ~/.config/opk-attest/trust.json), or with --project
in ${PROJECT_CONFIG_FILE} at the repository root (commit it; verify finds it walking up from the
working directory, and it beats the user file). Flags given to verify still override, key by key.
"opk-attest config" shows which file and trust apply. The trust is checked before it is saved
(a TUF repository is loaded; files are read and parsed).

options:
  --project                  save in the repository's ${PROJECT_CONFIG_FILE} instead of the user file
  --clear                    remove the file instead
${TRUST_USAGE}`,SPEC4={name:"trust use",usage:USAGE7,options:{...TRUST_OPTIONS,project:{type:"boolean"},clear:{type:"boolean"}}};function trustUseCommand(argv){return runCommand(SPEC4,argv,async({values:v})=>{let settings=trustSettingsOf(v),given=Object.keys(settings).length>0;if(v.clear&&given)throw new UsageError("--clear takes no trust options");if(!v.clear&&!given)throw new UsageError("give the trust to save: --tuf-repository URL --tuf-root FILE, --policy FILE, or --issuer/--signer-claim/\u2026");let file=await configFile(v.project===!0);return v.clear?(await rm(file,{force:!0}),process.stdout.write(`removed ${printable(file)}
`),0):(await checkTrustSettings(settings),await writeTrustConfig(file,settings,process.cwd()),process.stdout.write(`saved to ${printable(file)}: ${printable(describeTrustSource(settings))}
`),!settings["tuf-repository"]&&!settings.policy&&!settings["signer-claim"]?.length&&process.stderr.write(`opk-attest trust use: warning: any identity of the issuers is accepted as a signer; pin yours with --signer-claim repository=OWNER/REPO
`),0)})}async function configFile(project){if(!project)return userConfigPath(configHome());let root=await repositoryRoot(process.cwd());if(root===void 0)throw new ConsumerError({code:"CONFIG_NO_PROJECT",message:`--project: no repository (.git) at or above ${process.cwd()}; run it inside the repository, or drop --project to save per user`});return path.join(root,PROJECT_CONFIG_FILE)}var USAGE8=`usage: opk-attest trust <subcommand> [options]

Manages a trust policy distributed through TUF: who may sign which images, how many signers,
required predicates, revocations, the archive of OIDC provider keys and transparency-log keys.

subcommands:
  init DIR                          create a trust directory: keys, root, empty policy, first publish
  signer add|remove|list            allowed signers (OIDC issuer + claim patterns) per image scope
  threshold N --scope GLOB          distinct signers required in a scope
  require TYPE\u2026 --scope GLOB        predicate types that must be signed in a scope
  revoke DIGEST | --signer NAME | --scope GLOB [--before DATE] [--reason TEXT]
                                    block an image digest, a signer, or a repository/namespace
  unrevoke DIGEST | --signer NAME | --scope GLOB
                                    lift a revocation
  jwks sync [--issuer URL]          archive the providers' current signing keys (never removed)
  jwks remove --issuer URL --kid KID --reason TEXT
                                    distrust a leaked provider key (it stays listed, marked)
  tlog add FILE | tlog remove ID    transparency-log public keys
  delegate --scope GLOB --key FILE  delegate an image scope to another key holder
  undelegate ROLE                   withdraw a delegation
  key generate|rotate ROLE          add or replace keys (publishes at once)
  publish                           sign what is staged and publish it
  inspect                           show the policy, signers, keys, roles and expiry
  use [trust options] [--project]   save the trust "verify" uses when given none (consumers)

Content commands stage their change in DIR/staged/; "publish" signs it into DIR/repository/,
the directory to serve over HTTPS. Run "opk-attest trust <subcommand> --help" for its options.
`,SUBCOMMANDS={init:initCommand,signer:signerCommand,threshold:thresholdCommand,require:requireCommand,revoke:revokeCommand,unrevoke:unrevokeCommand,jwks:jwksCommand,tlog:tlogCommand,delegate:delegateCommand,undelegate:undelegateCommand,key:keyCommand,publish:publishCommand,inspect:inspectTrustCommand,use:trustUseCommand};async function trustCommand(argv){return dispatch("trust",USAGE8,SUBCOMMANDS,argv)}export{trustCommand};
