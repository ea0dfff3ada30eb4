/**
 * Why the edge reads the stage region weakly: aws-cdk-lib's strong cross-region references go
 * stale. The references of the real stages are checked on the shared fixture
 * (test/lib/cross-stack-references.cases.ts, run by test/lib/stages.test.ts).
 */
describe("aws-cdk-lib's strong cross-region references (why the edge does not use them)", () => {
  test('the SSM export writer does not write a changed value under an existing name', async () => {
    jest.spyOn(console, 'info').mockImplementation(() => undefined);
    const puts: { Name: string; Value: string }[] = [];
    jest.doMock(
      '@aws-sdk/client-ssm',
      () => ({
        SSM: class {
          putParameter(input: { Name: string; Value: string }) {
            puts.push(input);
            return Promise.resolve({});
          }
          deleteParameters() {
            return Promise.resolve({});
          }
        },
      }),
      { virtual: true },
    );
    // The handler aws-cdk-lib 2.276 deploys for Custom::CrossRegionExportWriter.
    const { handler } = jest.requireActual<{ handler: (e: object) => Promise<void> }>(
      require
        .resolve('aws-cdk-lib')
        .replace(/index\.js$/, 'core/lib/dist/core/cross-region-ssm-writer-handler/index.js'),
    );
    const name = '/cdk/exports/Csl-Prod-Edge/CslProdAppeuwest1RefLoadBalancer';
    await handler({
      RequestType: 'Update',
      ResourceProperties: { WriterProps: { region: 'us-east-1', exports: { [name]: 'arn:alb/new' } } },
      OldResourceProperties: { WriterProps: { region: 'us-east-1', exports: { [name]: 'arn:alb/old' } } },
    });
    // The replaced load balancer's ARN never reaches the parameter the edge reads ...
    expect(puts).toEqual([]);
    // ... while a new name is written, so the fake SSM client is the one the handler uses.
    await handler({
      RequestType: 'Create',
      ResourceProperties: { WriterProps: { region: 'us-east-1', exports: { [name]: 'arn:alb/new' } } },
    });
    expect(puts).toEqual([expect.objectContaining({ Name: name, Value: 'arn:alb/new' })]);
  });
});
