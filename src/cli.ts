#!/usr/bin/env node
// `webppo train|eval|bench`: the command-line entry (grows with the SDK).
console.log('webppo: the command line arrives with the SDK');
