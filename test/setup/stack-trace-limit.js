// jest-environment-node raises Error.stackTraceLimit to 100 for readable failures. aws-cdk-lib
// records a stack trace for every acknowledgement (Validations.acknowledge) whatever the context
// says, and under jest each frame goes through its source-map formatter: with 100 frames that was
// about a tenth of every synthesis. Node's default of 10 frames still shows where a test failed.
Error.stackTraceLimit = 10;
