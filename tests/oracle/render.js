// Reads a JSON array of cases on stdin and prints a JSON array of results, one per case:
//   case:   {"template": str, "data": any, "compileOptions"?: {}, "partials"?: {name: str}, "runtimeData"?: {}}
//   result: {"ok": true, "output": str} | {"ok": false, "error": str}
'use strict';
const Handlebars = require('handlebars');


function renderCase(testCase) {
  const env = Handlebars.create();
  env.log = function () {}; // the log helper must not write into our stdout
  try {
    const template = env.compile(testCase.template, testCase.compileOptions || {});
    const runtime = { partials: testCase.partials || {} };
    if (testCase.runtimeData !== undefined) {
      runtime.data = testCase.runtimeData;
    }
    return { ok: true, output: template(testCase.data, runtime) };
  } catch (error) {
    return { ok: false, error: String(error && error.message ? error.message : error) };
  }
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const cases = JSON.parse(input);
  process.stdout.write(JSON.stringify(cases.map(renderCase)));
});
