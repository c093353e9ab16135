#!/usr/bin/env node
// The config-updater app is a skeleton: issue 5 (the master-worker system) builds it on the recipes.
process.stderr.write('zk-lab config-updater: not built yet (see the README, "Status").\n');
process.exitCode = 1;
