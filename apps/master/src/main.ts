#!/usr/bin/env node
// The master app is a skeleton: issue 5 (the master-worker system) builds it on the recipes.
process.stderr.write('zk-lab master: not built yet (see the README, "Status").\n');
process.exitCode = 1;
