import type { StageFixture } from '../stage-fixture';

/**
 * Logical ids of stateful resources are a contract: a changed id makes CloudFormation create a
 * new resource and delete (or orphan) the old one with its data. These lists change only on
 * purpose, together with a migration plan.
 */
const PINNED: Record<string, string[]> = {
  'Csl-Dev': [
    'App/AWS679f53fac002430cb0da5b7982bd2287LogGroup449FB7C2',
    'App/AdminBlueGreenDeploymentGroupDeploymentDeploymentProviderIsCompleteLambdaLogGroup197EDFBA',
    'App/AdminBlueGreenDeploymentGroupDeploymentDeploymentProviderOnEventLambdaLogGroupE6D11EBA',
    'App/AdminBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkisCompleteLogGroup0B27DC04',
    'App/AdminBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonEventLogGroupCEA63A2C',
    'App/AdminBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonTimeoutLogGroup5379072F',
    'App/AdminBlueGreenSmokeTestLogs137E1F11',
    'App/AdminTaskLogs8EEC6BF0',
    'App/ApiApiBlueGreenDeploymentGroupDeploymentDeploymentProviderIsCompleteLambdaLogGroupC02A3989',
    'App/ApiApiBlueGreenDeploymentGroupDeploymentDeploymentProviderOnEventLambdaLogGroupDA6E9601',
    'App/ApiApiBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkisCompleteLogGroup13A906BC',
    'App/ApiApiBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonEventLogGroupCBD7CD75',
    'App/ApiApiBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonTimeoutLogGroup08026AAF',
    'App/ApiApiBlueGreenSmokeTestLogsF0658FC1',
    'App/ApiApiTaskLogsF7877F95',
    'App/ApiMigrationTaskLogs72154787',
    'App/ApiMigrationsHookLogs0C09657A',
    'App/ApiMigrationsRunnerLogs8628F81F',
    'App/ApiMigrationsSnapshotsLogs274D2D7D',
    'App/ApiMigrationsStateMachineLogsA4C9042E',
    'App/ApiSchedulerTaskLogsC54EFB56',
    'App/ApiWorkerTaskLogs9405BC2D',
    'App/CertificationBlueGreenDeploymentGroupDeploymentDeploymentProviderIsCompleteLambdaLogGroup8C3DA7FF',
    'App/CertificationBlueGreenDeploymentGroupDeploymentDeploymentProviderOnEventLambdaLogGroup0A3E0C70',
    'App/CertificationBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkisCompleteLogGroup0502B77D',
    'App/CertificationBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonEventLogGroup8B31366C',
    'App/CertificationBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonTimeoutLogGroupF9CAAD27',
    'App/CertificationBlueGreenSmokeTestLogs6078B6A9',
    'App/CertificationTaskLogs718EE627',
    'App/CredentialRefreshFunctionLogsFD2A7B6D',
    'App/ExecKey76C18399',
    'App/ExecSessions636264E4',
    'App/MonitoringTopicKey423AF5B2',
    'Data/ApiAppKey452B636E',
    'Data/BackupsVault1F11AFCC',
    'Data/BucketsAssets446D6E5B',
    'Data/BucketsLogsF3E46FAF',
    'Data/BucketsUploadsDA8F1F54',
    'Data/CslDevDataMysqlPrimarySecretDE707F5A66905d114b490ab05376098d3e4b4671',
    'Data/CslDevDataPostgresPrimarySecretEEA6BC9466905d114b490ab05376098d3e4b4671',
    'Data/DataKey17AFBB84',
    'Data/MysqlAppUserSecret4F6B324C',
    'Data/MysqlPrimary04EF300F',
    'Data/PostgresAppUserSecret1067EE20',
    'Data/PostgresPrimaryE59F2C4B',
    'Data/RabbitmqA7E966C2',
    'Data/RabbitmqCredentials81BA9D5B',
    'Data/RedisAuthToken9E34F6A5',
    'Data/RedisFF642DF2',
    'Data/RedisSlowLog9A34B1F0',
    'Edge/AlertKeyC50D0A1D',
    'Network/NetworkFlowLogs2BEC3212',
  ],
  'Csl-Staging': [
    'App/AWS679f53fac002430cb0da5b7982bd2287LogGroup449FB7C2',
    'App/AdminBlueGreenDeploymentGroupDeploymentDeploymentProviderIsCompleteLambdaLogGroup197EDFBA',
    'App/AdminBlueGreenDeploymentGroupDeploymentDeploymentProviderOnEventLambdaLogGroupE6D11EBA',
    'App/AdminBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkisCompleteLogGroup0B27DC04',
    'App/AdminBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonEventLogGroupCEA63A2C',
    'App/AdminBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonTimeoutLogGroup5379072F',
    'App/AdminBlueGreenSmokeTestLogs137E1F11',
    'App/AdminTaskLogs8EEC6BF0',
    'App/ApiApiBlueGreenDeploymentGroupDeploymentDeploymentProviderIsCompleteLambdaLogGroupC02A3989',
    'App/ApiApiBlueGreenDeploymentGroupDeploymentDeploymentProviderOnEventLambdaLogGroupDA6E9601',
    'App/ApiApiBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkisCompleteLogGroup13A906BC',
    'App/ApiApiBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonEventLogGroupCBD7CD75',
    'App/ApiApiBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonTimeoutLogGroup08026AAF',
    'App/ApiApiBlueGreenSmokeTestLogsF0658FC1',
    'App/ApiApiTaskLogsF7877F95',
    'App/ApiMigrationTaskLogs72154787',
    'App/ApiMigrationsHookLogs0C09657A',
    'App/ApiMigrationsRunnerLogs8628F81F',
    'App/ApiMigrationsSnapshotsLogs274D2D7D',
    'App/ApiMigrationsStateMachineLogsA4C9042E',
    'App/ApiSchedulerTaskLogsC54EFB56',
    'App/ApiWorkerTaskLogs9405BC2D',
    'App/CertificationBlueGreenDeploymentGroupDeploymentDeploymentProviderIsCompleteLambdaLogGroup8C3DA7FF',
    'App/CertificationBlueGreenDeploymentGroupDeploymentDeploymentProviderOnEventLambdaLogGroup0A3E0C70',
    'App/CertificationBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkisCompleteLogGroup0502B77D',
    'App/CertificationBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonEventLogGroup8B31366C',
    'App/CertificationBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonTimeoutLogGroupF9CAAD27',
    'App/CertificationBlueGreenSmokeTestLogs6078B6A9',
    'App/CertificationTaskLogs718EE627',
    'App/CredentialRefreshFunctionLogsFD2A7B6D',
    'App/ExecKey76C18399',
    'App/ExecSessions636264E4',
    'App/MonitoringTopicKey423AF5B2',
    'Data/ApiAppKey452B636E',
    'Data/BackupsVault1F11AFCC',
    'Data/BucketsAssets446D6E5B',
    'Data/BucketsLogsF3E46FAF',
    'Data/BucketsUploadsDA8F1F54',
    'Data/CslStagingDataMysqlPrimarySecretEADDFAE966905d114b490ab05376098d3e4b4671',
    'Data/CslStagingDataPostgresPrimarySecretDC9875E066905d114b490ab05376098d3e4b4671',
    'Data/DataKey17AFBB84',
    'Data/MysqlAppUserSecret4F6B324C',
    'Data/MysqlPrimary04EF300F',
    'Data/MysqlReadReplica132D81788',
    'Data/PostgresAppUserSecret1067EE20',
    'Data/PostgresPrimaryE59F2C4B',
    'Data/RabbitmqA7E966C2',
    'Data/RabbitmqCredentials81BA9D5B',
    'Data/RedisAuthToken9E34F6A5',
    'Data/RedisFF642DF2',
    'Data/RedisSlowLog9A34B1F0',
    'Edge/AlertKeyC50D0A1D',
    'Network/NetworkFlowLogs2BEC3212',
  ],
  'Csl-Prod': [
    'App/AWS679f53fac002430cb0da5b7982bd2287LogGroup449FB7C2',
    'App/AdminBlueGreenDeploymentGroupDeploymentDeploymentProviderIsCompleteLambdaLogGroup197EDFBA',
    'App/AdminBlueGreenDeploymentGroupDeploymentDeploymentProviderOnEventLambdaLogGroupE6D11EBA',
    'App/AdminBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkisCompleteLogGroup0B27DC04',
    'App/AdminBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonEventLogGroupCEA63A2C',
    'App/AdminBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonTimeoutLogGroup5379072F',
    'App/AdminBlueGreenSmokeTestLogs137E1F11',
    'App/AdminTaskLogs8EEC6BF0',
    'App/ApiApiBlueGreenDeploymentGroupDeploymentDeploymentProviderIsCompleteLambdaLogGroupC02A3989',
    'App/ApiApiBlueGreenDeploymentGroupDeploymentDeploymentProviderOnEventLambdaLogGroupDA6E9601',
    'App/ApiApiBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkisCompleteLogGroup13A906BC',
    'App/ApiApiBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonEventLogGroupCBD7CD75',
    'App/ApiApiBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonTimeoutLogGroup08026AAF',
    'App/ApiApiBlueGreenSmokeTestLogsF0658FC1',
    'App/ApiApiTaskLogsF7877F95',
    'App/ApiMigrationTaskLogs72154787',
    'App/ApiMigrationsHookLogs0C09657A',
    'App/ApiMigrationsRunnerLogs8628F81F',
    'App/ApiMigrationsSnapshotsLogs274D2D7D',
    'App/ApiMigrationsStateMachineLogsA4C9042E',
    'App/ApiSchedulerTaskLogsC54EFB56',
    'App/ApiWorkerTaskLogs9405BC2D',
    'App/CertificationBlueGreenDeploymentGroupDeploymentDeploymentProviderIsCompleteLambdaLogGroup8C3DA7FF',
    'App/CertificationBlueGreenDeploymentGroupDeploymentDeploymentProviderOnEventLambdaLogGroup0A3E0C70',
    'App/CertificationBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkisCompleteLogGroup0502B77D',
    'App/CertificationBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonEventLogGroup8B31366C',
    'App/CertificationBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonTimeoutLogGroupF9CAAD27',
    'App/CertificationBlueGreenSmokeTestLogs6078B6A9',
    'App/CertificationTaskLogs718EE627',
    'App/CredentialRefreshFunctionLogsFD2A7B6D',
    'App/LogKeyE83D0C1B',
    'App/MonitoringTopicKey423AF5B2',
    'Data/AWS679f53fac002430cb0da5b7982bd2287LogGroup449FB7C2',
    'Data/ApiAppKey452B636E',
    'Data/BackupsVault1F11AFCC',
    'Data/BucketsAssets446D6E5B',
    'Data/BucketsLogsF3E46FAF',
    'Data/BucketsUploadsDA8F1F54',
    'Data/CslProdDataMysqlPrimarySecret35DAA0AF66905d114b490ab05376098d3e4b4671',
    'Data/CslProdDataPostgresPrimarySecret891D62F066905d114b490ab05376098d3e4b4671',
    'Data/DataKey17AFBB84',
    'Data/LogKeyE83D0C1B',
    'Data/MysqlAppUserSecret4F6B324C',
    'Data/MysqlPrimary04EF300F',
    'Data/MysqlReadReplica132D81788',
    'Data/PostgresAppUserSecret1067EE20',
    'Data/PostgresPrimaryE59F2C4B',
    'Data/RabbitmqA7E966C2',
    'Data/RabbitmqCredentials81BA9D5B',
    'Data/RedisAuthToken9E34F6A5',
    'Data/RedisFF642DF2',
    'Data/RedisSlowLog9A34B1F0',
    'Dr/Vault23237E5B',
    'Dr/VaultKey6B75F33E',
    'Edge/AlertKeyC50D0A1D',
    'Network/LogKeyE83D0C1B',
    'Network/NetworkFlowLogs2BEC3212',
  ],
  'Shipment-Dev': [
    'App/AWS679f53fac002430cb0da5b7982bd2287LogGroup449FB7C2',
    'App/CredentialRefreshFunctionLogsFD2A7B6D',
    'App/ExecKey76C18399',
    'App/ExecSessions636264E4',
    'App/MonitoringTopicKey423AF5B2',
    'App/WebMigrationTaskLogs550E7DD0',
    'App/WebMigrationsHookLogs39A5ADFE',
    'App/WebMigrationsRunnerLogs5CFC4DE7',
    'App/WebMigrationsSnapshotsLogsB64A9B9E',
    'App/WebMigrationsStateMachineLogs8E4008E7',
    'App/WebSchedulerTaskLogs283151BB',
    'App/WebWebBlueGreenDeploymentGroupDeploymentDeploymentProviderIsCompleteLambdaLogGroup49B89494',
    'App/WebWebBlueGreenDeploymentGroupDeploymentDeploymentProviderOnEventLambdaLogGroup538876CE',
    'App/WebWebBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkisCompleteLogGroup83B3F4D0',
    'App/WebWebBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonEventLogGroupA1E00664',
    'App/WebWebBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonTimeoutLogGroup5D4CBA4E',
    'App/WebWebBlueGreenSmokeTestLogsEBE326CE',
    'App/WebWebTaskLogs15D0918B',
    'App/WebWorkerTaskLogsAE8E3B87',
    'Data/BackupsVault1F11AFCC',
    'Data/BucketsAssets446D6E5B',
    'Data/BucketsLogsF3E46FAF',
    'Data/BucketsUploadsDA8F1F54',
    'Data/DataKey17AFBB84',
    'Data/MysqlAppUserSecret4F6B324C',
    'Data/MysqlPrimary04EF300F',
    'Data/RedisAuthToken9E34F6A5',
    'Data/RedisFF642DF2',
    'Data/RedisSlowLog9A34B1F0',
    'Data/ShipmentDevDataMysqlPrimarySecretFBDF79B766905d114b490ab05376098d3e4b4671',
    'Data/WebAppKeyA6D5B1FD',
    'Edge/AlertKeyC50D0A1D',
    'Network/NetworkFlowLogs2BEC3212',
  ],
  'Shipment-Staging': [
    'App/AWS679f53fac002430cb0da5b7982bd2287LogGroup449FB7C2',
    'App/CredentialRefreshFunctionLogsFD2A7B6D',
    'App/ExecKey76C18399',
    'App/ExecSessions636264E4',
    'App/MonitoringTopicKey423AF5B2',
    'App/WebMigrationTaskLogs550E7DD0',
    'App/WebMigrationsHookLogs39A5ADFE',
    'App/WebMigrationsRunnerLogs5CFC4DE7',
    'App/WebMigrationsSnapshotsLogsB64A9B9E',
    'App/WebMigrationsStateMachineLogs8E4008E7',
    'App/WebSchedulerTaskLogs283151BB',
    'App/WebWebBlueGreenDeploymentGroupDeploymentDeploymentProviderIsCompleteLambdaLogGroup49B89494',
    'App/WebWebBlueGreenDeploymentGroupDeploymentDeploymentProviderOnEventLambdaLogGroup538876CE',
    'App/WebWebBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkisCompleteLogGroup83B3F4D0',
    'App/WebWebBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonEventLogGroupA1E00664',
    'App/WebWebBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonTimeoutLogGroup5D4CBA4E',
    'App/WebWebBlueGreenSmokeTestLogsEBE326CE',
    'App/WebWebTaskLogs15D0918B',
    'App/WebWorkerTaskLogsAE8E3B87',
    'Data/BackupsVault1F11AFCC',
    'Data/BucketsAssets446D6E5B',
    'Data/BucketsLogsF3E46FAF',
    'Data/BucketsUploadsDA8F1F54',
    'Data/DataKey17AFBB84',
    'Data/MysqlAppUserSecret4F6B324C',
    'Data/MysqlPrimary04EF300F',
    'Data/MysqlReadReplica132D81788',
    'Data/RedisAuthToken9E34F6A5',
    'Data/RedisFF642DF2',
    'Data/RedisSlowLog9A34B1F0',
    'Data/ShipmentStagingDataMysqlPrimarySecretE110D0A966905d114b490ab05376098d3e4b4671',
    'Data/WebAppKeyA6D5B1FD',
    'Edge/AlertKeyC50D0A1D',
    'Network/NetworkFlowLogs2BEC3212',
  ],
  'Shipment-Prod': [
    'App/AWS679f53fac002430cb0da5b7982bd2287LogGroup449FB7C2',
    'App/CredentialRefreshFunctionLogsFD2A7B6D',
    'App/LogKeyE83D0C1B',
    'App/MonitoringTopicKey423AF5B2',
    'App/WebMigrationTaskLogs550E7DD0',
    'App/WebMigrationsHookLogs39A5ADFE',
    'App/WebMigrationsRunnerLogs5CFC4DE7',
    'App/WebMigrationsSnapshotsLogsB64A9B9E',
    'App/WebMigrationsStateMachineLogs8E4008E7',
    'App/WebSchedulerTaskLogs283151BB',
    'App/WebWebBlueGreenDeploymentGroupDeploymentDeploymentProviderIsCompleteLambdaLogGroup49B89494',
    'App/WebWebBlueGreenDeploymentGroupDeploymentDeploymentProviderOnEventLambdaLogGroup538876CE',
    'App/WebWebBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkisCompleteLogGroup83B3F4D0',
    'App/WebWebBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonEventLogGroupA1E00664',
    'App/WebWebBlueGreenDeploymentGroupDeploymentDeploymentProviderframeworkonTimeoutLogGroup5D4CBA4E',
    'App/WebWebBlueGreenSmokeTestLogsEBE326CE',
    'App/WebWebTaskLogs15D0918B',
    'App/WebWorkerTaskLogsAE8E3B87',
    'Data/AWS679f53fac002430cb0da5b7982bd2287LogGroup449FB7C2',
    'Data/BackupsVault1F11AFCC',
    'Data/BucketsAssets446D6E5B',
    'Data/BucketsLogsF3E46FAF',
    'Data/BucketsUploadsDA8F1F54',
    'Data/DataKey17AFBB84',
    'Data/LogKeyE83D0C1B',
    'Data/MysqlAppUserSecret4F6B324C',
    'Data/MysqlPrimary04EF300F',
    'Data/MysqlReadReplica132D81788',
    'Data/RedisAuthToken9E34F6A5',
    'Data/RedisFF642DF2',
    'Data/RedisSlowLog9A34B1F0',
    'Data/ShipmentProdDataMysqlPrimarySecret94CD937E66905d114b490ab05376098d3e4b4671',
    'Data/WebAppKeyA6D5B1FD',
    'Edge/AlertKeyC50D0A1D',
    'Network/LogKeyE83D0C1B',
    'Network/NetworkFlowLogs2BEC3212',
  ],
};

const STATEFUL = new Set([
  'AWS::RDS::DBInstance',
  'AWS::ElastiCache::ReplicationGroup',
  'AWS::AmazonMQ::Broker',
  'AWS::S3::Bucket',
  'AWS::SecretsManager::Secret',
  'AWS::KMS::Key',
  'AWS::Logs::LogGroup',
  'AWS::ECR::Repository',
  'AWS::Backup::BackupVault',
]);

type Template = { Resources: Record<string, { Type: string; Properties?: unknown }> };

/** Property names that must never carry a literal value. */
const SECRET_KEY = /(password|passphrase|authtoken|secretstring|secretaccesskey|token)$/i;

/** Paths of secret-named properties whose value is a literal string rather than a reference. */
function literalSecrets(node: unknown, at = ''): string[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => literalSecrets(item, `${at}[${i}]`));
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) => {
    const here = at ? `${at}.${key}` : key;
    if (SECRET_KEY.test(key) && typeof value === 'string' && !value.startsWith('{{resolve:')) return [here];
    return literalSecrets(value, here);
  });
}

/**
 * Logical-id pins and the literal-secret scan over every template of every stage; registered by
 * test/lib/stages.test.ts.
 */
export function statefulContractCases(f: StageFixture): void {
  /** Every stack template, by 'Csl-Prod/Data'. */
  const templates = () => {
    const out = new Map<string, Template>();
    for (const id of f.ids) {
      const stage = f.stage(id);
      for (const stack of f.assembly.getNestedAssembly(stage.artifactId).stacks) {
        out.set(`${id}/${stack.hierarchicalId.split('/').pop()}`, stack.template as Template);
      }
    }
    return out;
  };

  describe('stateful logical ids', () => {
    test.each(Object.keys(PINNED))('%s keeps the pinned logical ids of its stateful resources', (stageName) => {
      const found: string[] = [];
      for (const [key, template] of templates()) {
        if (!key.startsWith(`${stageName}/`)) continue;
        const stack = key.split('/')[1];
        for (const [logicalId, resource] of Object.entries(template.Resources)) {
          if (STATEFUL.has(resource.Type)) found.push(`${stack}/${logicalId}`);
        }
      }
      expect(found.sort()).toEqual(PINNED[stageName]);
    });
  });

  describe('secrets in templates', () => {
    test('no template holds a literal password, token or secret value', () => {
      // Every stage's four stacks and origin-access stack, and a DR stack where backups leave the region.
      expect(templates().size).toBe(f.stages.reduce((n, stage) => n + 5 + (stage.dr ? 1 : 0), 0));
      expect(templates().size).toBeGreaterThanOrEqual(31);
      const found = [...templates()].flatMap(([key, template]) => literalSecrets(template).map((p) => `${key}: ${p}`));
      expect(found).toEqual([]);
    });

    test('no template contains the seeds’ example passwords or an access key id', () => {
      const seeds = ['secure_password', 'redis_password', 'readonly_password', 'your_secret_key'];
      for (const [key, template] of templates()) {
        const text = JSON.stringify(template);
        for (const value of seeds) expect({ key, hit: text.includes(value) }).toEqual({ key, hit: false });
        expect({ key, accessKey: /AKIA[0-9A-Z]{16}/.test(text) }).toEqual({ key, accessKey: false });
      }
    });

    test('the scan catches a literal secret wherever it is nested', () => {
      const template = {
        Resources: {
          Db: { Type: 'AWS::RDS::DBInstance', Properties: { MasterUserPassword: 'hunter22hunter' } },
          Cache: { Type: 'AWS::ElastiCache::ReplicationGroup', Properties: { AuthToken: { Ref: 'Token' } } },
          Broker: { Type: 'AWS::AmazonMQ::Broker', Properties: { Users: [{ Username: 'u', Password: 'plain' }] } },
          Ok: { Type: 'AWS::AmazonMQ::Broker', Properties: { Users: [{ Password: '{{resolve:secretsmanager:x}}' }] } },
        },
      };
      expect(literalSecrets(template)).toEqual([
        'Resources.Db.Properties.MasterUserPassword',
        'Resources.Broker.Properties.Users[0].Password',
      ]);
    });
  });
}
