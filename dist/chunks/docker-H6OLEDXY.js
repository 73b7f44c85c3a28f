import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{dispatch}from"./chunk-FTENB3K5.js";import{PLUGIN_FILE,dockerConfigDir,installPlugin,uninstallPlugin}from"./chunk-KA5I2BVM.js";import{packageVersion}from"./chunk-E6C32UTV.js";import{runCommand}from"./chunk-NAJCFSEN.js";import{UsageError}from"./chunk-XXCMBVWR.js";import"./chunk-VZWIJIF7.js";import"./chunk-E6IDJBQO.js";import{existsSync,realpathSync}from"node:fs";import os from"node:os";import path from"node:path";var USAGE=`usage: opk-attest docker <subcommand>

Installs the Docker CLI plugin "docker opk": pull, run and build only what verifies against the
trust you configured ("opk-attest trust use \u2026" or trust flags), as DOCKER_CONTENT_TRUST=1 did.

subcommands:
  install      put ${PLUGIN_FILE} in $DOCKER_CONFIG/cli-plugins (default ~/.docker/cli-plugins)
  uninstall    remove it (only if opk-attest installed it)

Then: docker opk pull IMAGE | docker opk run [flags] IMAGE [ARGS\u2026] | docker opk build [flags] CONTEXT
      docker opk verify|inspect|trust \u2026   (the same as opk-attest verify|inspect|trust \u2026)
`,INSTALL_USAGE=`usage: opk-attest docker install [--cli FILE]

Writes the ${PLUGIN_FILE} launcher into $DOCKER_CONFIG/cli-plugins (default ~/.docker/cli-plugins).
It runs this opk-attest with this node; re-run it after moving or upgrading opk-attest.

options:
  --cli FILE   the opk-attest CLI script the plugin runs (default: the one running now)
`,UNINSTALL_USAGE=`usage: opk-attest docker uninstall

Removes ${PLUGIN_FILE} from $DOCKER_CONFIG/cli-plugins (default ~/.docker/cli-plugins), only if
opk-attest installed it.
`,SUBCOMMANDS={install:argv=>runCommand({name:"docker install",usage:INSTALL_USAGE,options:{cli:{type:"string"}}},argv,async({values})=>{let cli=cliScript(values.cli),file=await installPlugin({dockerConfig:configDir()},{node:process.execPath,cli});return process.stdout.write(`installed ${file} (runs ${cli})
try: docker opk --help
`),0}),uninstall:argv=>runCommand({name:"docker uninstall",usage:UNINSTALL_USAGE,options:{}},argv,async()=>{let removed=await uninstallPlugin({dockerConfig:configDir()});return process.stdout.write(removed?`removed ${removed}
`:`no ${PLUGIN_FILE} in ${path.join(configDir(),"cli-plugins")}; nothing to do
`),0}),plugin:async argv=>(await import("./docker-plugin-YQM7Q73G.js")).dockerPluginCommand(argv,packageVersion())};function dockerCommand(argv){return dispatch("docker",USAGE,SUBCOMMANDS,argv)}function configDir(){return dockerConfigDir(process.env,os.homedir())}function cliScript(given){let file=given??process.argv[1];if(!file||!existsSync(file))throw new UsageError(`cannot find the opk-attest CLI script${file?` ${file}`:""}; give it with --cli FILE`);return realpathSync(path.resolve(file))}export{dockerCommand};
