// handlebars.js 4.7.8 as the oracle of tests/oracle_support.py.
//   node render.js          reads a JSON array of cases on stdin, prints a JSON array of results
//   node render.js --lines  reads one JSON case per line, prints one JSON result per line (a long-lived process)
// case:   {"template": str, "data": any, "compileOptions"?: {}, "partials"?: {name: str}, "runtimeData"?: {}}
// result: {"ok": true, "output": str} | {"ok": false, "error": str}
'use strict';
const Handlebars = require('handlebars');
const readline = require('readline');

function renderCase(testCase) {
  const env = Handlebars.create();
  env.log = function () {}; // the log helper must not write into our stdout
  try {
    const template = env.compile(testCase.template, testCase.compileOptions || {});
    const runtime = { partials: testCase.partials || {} };
    if (testCase.runtimeData !== undefined && testCase.runtimeData !== null) {
      runtime.data = testCase.runtimeData;
    }
    return { ok: true, output: template(testCase.data, runtime) };
  } catch (error) {
    return { ok: false, error: String(error && error.message ? error.message : error) };
  }
}

if (process.argv.includes('--lines')) {
  const lines = readline.createInterface({ input: process.stdin, terminal: false });
  lines.on('line', (line) => {
    if (line.trim()) {
      process.stdout.write(JSON.stringify(renderCase(JSON.parse(line))) + '\n');
    }
  });
} else {
  let input = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => { input += chunk; });
  process.stdin.on('end', () => {
    process.stdout.write(JSON.stringify(JSON.parse(input).map(renderCase)));
  });
}
