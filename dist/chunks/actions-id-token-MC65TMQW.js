import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import"./chunk-E6IDJBQO.js";function getIDToken(){throw new Error("actionsCoreGithubProvider is not part of the action bundles; use githubActionsProvider")}export{getIDToken};
