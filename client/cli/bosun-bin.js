#!/usr/bin/env node
// npm "bin" entry for `bosun`: loads tsx's CommonJS hook so the TypeScript CLI runs without a build step.
require('tsx/cjs');
require('./bosun.ts').main();
