// Bundles the Lambda handlers once before the suite: the stacks package build/lambda/<name>.
module.exports = async () => {
  const { buildLambdas } = await import('../scripts/build-lambdas.mjs');
  await buildLambdas();
};
