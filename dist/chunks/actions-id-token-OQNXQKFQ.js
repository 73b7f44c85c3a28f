import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
import{getIDToken}from"./chunk-TBAYQDXY.js";import"./chunk-E6IDJBQO.js";export{getIDToken};
