import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);
function packageVersion(){return"0.1.0"}export{packageVersion};
