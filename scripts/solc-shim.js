#!/usr/bin/env node
// A stand-in for the native `solc` binary, backed by the npm `solc` module (solcjs).
//
// There is no native solc on these machines, and `solcjs` itself prints a line about SMT
// solvers on stdout before its JSON, which breaks py-solc-x. This script answers the two
// calls that py-solc-x, ape-solidity and Slither make:
//
//   solc-shim.js --version
//   solc-shim.js --standard-json [--base-path DIR] [--include-path DIR]... [--allow-paths A,B] [FILE|-]
//
// Standard JSON is read from stdin (or FILE) and the output JSON is the only thing written
// to stdout. Imports and `urls` sources are read from disk through an import callback that
// looks under the base path (default: the working directory), every include path, every
// allowed path, and this project's node_modules (so `@openzeppelin/...` resolves even
// without a remapping). Unlike native solc, --allow-paths widens the search; it does not
// refuse files outside it.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const PROJECT_ROOT = path.resolve(__dirname, '..');
const NODE_MODULES = path.join(PROJECT_ROOT, 'node_modules');

function loadSolc() {
  try {
    return require(path.join(NODE_MODULES, 'solc'));
  } catch (err) {
    process.stderr.write(
      `solc-shim: cannot load the npm 'solc' module from ${NODE_MODULES}: run \`make setup\` (npm ci)\n` +
        `${err && err.message ? err.message : err}\n`,
    );
    process.exit(2);
  }
}

function usage() {
  return [
    'solc, the solidity compiler commandline interface (solcjs shim)',
    '',
    'Usage: solc-shim.js --version',
    '       solc-shim.js --standard-json [--base-path DIR] [--include-path DIR]... [--allow-paths A,B] [FILE|-]',
    '',
  ].join('\n');
}

function parseArgs(argv) {
  const opts = {
    version: false,
    help: false,
    standardJson: false,
    basePath: null,
    includePaths: [],
    allowPaths: [],
    inputFile: null,
  };
  // Flags with a value that are accepted and ignored: they change nothing in standard-JSON mode.
  const ignoredWithValue = new Set(['--output-dir', '-o', '--evm-version']);
  const ignoredFlags = new Set(['--overwrite', '--pretty-json', '--no-color']);
  for (let i = 0; i < argv.length; i += 1) {
    const raw = argv[i];
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const takeValue = () => {
      if (eq > 0) return raw.slice(eq + 1);
      i += 1;
      if (i >= argv.length) throw new Error(`option '${flag}' requires a value`);
      return argv[i];
    };
    switch (flag) {
      case '--version':
        opts.version = true;
        break;
      case '--help':
      case '-h':
        opts.help = true;
        break;
      case '--standard-json':
        opts.standardJson = true;
        break;
      case '--base-path':
        opts.basePath = takeValue();
        break;
      case '--include-path':
        opts.includePaths.push(takeValue());
        break;
      case '--allow-paths':
        opts.allowPaths.push(...takeValue().split(',').filter(Boolean));
        break;
      case '-':
        opts.inputFile = null;
        break;
      default:
        if (ignoredFlags.has(flag)) break;
        if (ignoredWithValue.has(flag)) {
          takeValue();
          break;
        }
        if (flag.startsWith('-')) {
          // Same wording as native solc, which py-solc-x turns into UnknownOption.
          throw new Error(`unrecognised option '${flag}'`);
        }
        opts.inputFile = raw;
    }
  }
  return opts;
}

function searchRoots(opts) {
  const cwd = process.cwd();
  const roots = [
    opts.basePath ? path.resolve(cwd, opts.basePath) : cwd,
    ...opts.includePaths.map((p) => path.resolve(cwd, p)),
    ...opts.allowPaths.map((p) => path.resolve(cwd, p)),
    cwd,
    PROJECT_ROOT,
  ];
  return [...new Set(roots)];
}

function makeImportCallback(opts) {
  const roots = searchRoots(opts);
  return function findImport(sourceUnitName) {
    const candidates = [];
    if (path.isAbsolute(sourceUnitName)) {
      candidates.push(sourceUnitName);
    } else {
      for (const root of roots) candidates.push(path.join(root, sourceUnitName));
      if (sourceUnitName.startsWith('@')) candidates.push(path.join(NODE_MODULES, sourceUnitName));
    }
    for (const candidate of candidates) {
      try {
        if (fs.statSync(candidate).isFile()) {
          return { contents: fs.readFileSync(candidate, 'utf8') };
        }
      } catch {
        // not there; try the next root
      }
    }
    return { error: `File not found. Searched: ${candidates.join(', ')}` };
  };
}

function readInput(inputFile) {
  if (inputFile) return Promise.resolve(fs.readFileSync(inputFile, 'utf8'));
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on('data', (chunk) => chunks.push(chunk));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  if (opts.help) {
    process.stdout.write(usage());
    return 0;
  }
  if (opts.version) {
    const solc = loadSolc();
    process.stdout.write(
      `solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`,
    );
    return 0;
  }
  if (!opts.standardJson) {
    process.stderr.write(`solc-shim: only --version and --standard-json are supported\n${usage()}`);
    return 1;
  }
  const solc = loadSolc();
  const input = await readInput(opts.inputFile);
  // solc.compile reports malformed input as JSON errors itself, like native solc does.
  const output = solc.compile(input, { import: makeImportCallback(opts) });
  process.stdout.write(`${output}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`solc-shim: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  },
);
