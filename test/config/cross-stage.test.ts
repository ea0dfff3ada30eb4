import { loadConfigs, resolveAll, resolveStage, stagesOf, SYSTEMS, type SystemDefinition } from '../../config';
import { csl } from '../../config/systems/csl';
import { shipment } from '../../config/systems/shipment';
import { edited, problemsOf } from './edits';

const both = (a: SystemDefinition, b: SystemDefinition = shipment) => problemsOf(() => resolveAll([a, b]));

describe('what one stage owns, no other stage or system may claim', () => {
  test('the committed systems claim nothing twice', () => {
    expect(resolveAll(SYSTEMS)).toHaveLength(SYSTEMS.flatMap(stagesOf).length);
  });

  test('the same domain in two stages', () => {
    const bad = edited(csl, (d) => {
      d.stages.staging.domainName = 'dev.cfpcsl.com';
    });
    expect(both(bad)).toEqual([
      "csl.staging.domainName: 'dev.cfpcsl.com' is also the domain of csl.dev; each stage needs a domain of its own, since its records, certificate and cookies live there (e.g. 'staging.cfpcsl.com')",
    ]);
  });

  test('the same hosted zone in two accounts', () => {
    const bad = edited(shipment, (d) => {
      d.stages.prod.hostedZoneId = 'Z0000000000CSLPROD';
    });
    expect(problemsOf(() => resolveAll([csl, bad]))).toEqual([
      "shipment.prod.hostedZoneId: 'Z0000000000CSLPROD' is also the hosted zone of csl.prod in account 333333333333; a zone belongs to one account, so give this stage the zone of account 666666666666 that holds 'shipmentapp.com'",
    ]);
  });

  test('stages of one account may share a parent zone', () => {
    const ok = edited(csl, (d) => {
      d.stages.staging.account = d.stages.dev.account;
      d.stages.staging.hostedZoneId = d.stages.dev.hostedZoneId;
    });
    expect(resolveAll([ok])).toHaveLength(stagesOf(csl).length);
  });

  test("the same host in two stages: prod's domain holds staging's hosts too", () => {
    const bad = edited(csl, (d) => {
      d.stages.prod.services = { admin: { host: 'admin.staging.cfpcsl.com' } };
    });
    expect(problemsOf(() => resolveAll([bad]))).toEqual([
      "csl.prod.services.admin.host: 'admin.staging.cfpcsl.com' is also the host of csl.staging.services.admin; give each stage's service a host in its own domain 'cfpcsl.com'",
    ]);
  });

  test('the same broker name in one account', () => {
    const bad = edited(csl, (d) => {
      d.stages.qa = {
        ...structuredClone(d.stages.staging),
        tier: 'staging',
        domainName: 'qa.cfpcsl.com',
        hostedZoneId: 'Z0000000000CSLQA',
        network: { cidr: '10.13.0.0/16' },
      };
      d.pipeline.order = ['dev', 'qa', 'staging', 'prod'];
    });
    expect(problemsOf(() => resolveAll([bad]))).toEqual([
      "csl.staging.rabbitmq.brokerName: 'CslStagingData-Rabbitmq-5F792842' is also the broker of csl.qa in account 222222222222, where broker names are unique (name this stage's broker apart, e.g. 'csl-staging')",
    ]);
  });

  test('overlapping VPC ranges in one account and region', () => {
    const bad = edited(csl, (d) => {
      d.stages.staging.account = d.stages.dev.account;
      d.stages.staging.network.cidr = '10.10.0.0/17';
    });
    expect(both(bad)).toEqual([
      "csl.staging.network.cidr: 10.10.0.0/17 overlaps the VPC 10.10.0.0/16 of csl.dev in the same account 111111111111 and region eu-west-1; give each VPC a range of its own (e.g. '10.0.0.0/17')",
    ]);
  });

  test('the same VPC range in other accounts is allowed: those VPCs never route to each other', () => {
    const ok = edited(shipment, (d) => {
      d.stages.dev.network.cidr = '10.10.0.0/16';
    });
    expect(resolveAll([csl, ok])).toHaveLength(stagesOf(csl).length + stagesOf(shipment).length);
  });

  test('overlapping VPC ranges on one transit gateway, in any account', () => {
    const bad = edited(shipment, (d) => {
      d.stages.prod.network.cidr = '10.21.0.0/16';
    });
    expect(problemsOf(() => resolveAll([bad]))).toEqual([
      "shipment.prod.network.cidr: 10.21.0.0/16 overlaps the VPC 10.21.0.0/16 of shipment.staging and both attach to transit gateway tgw-00000000000000d01; give each VPC a range of its own (e.g. '10.0.0.0/16')",
    ]);
  });

  test('a VPC over the network another stage routes to an external database', () => {
    const bad = edited(csl, (d) => {
      d.stages.prod.network.cidr = '10.200.0.0/16';
    });
    expect(both(bad)).toEqual([
      "csl.prod.network.cidr: 10.200.0.0/16 overlaps 10.200.0.0/24, the network shipment.dev routes to externalDatabases.dolibarr; that network can then never be routed from this VPC (move the VPC, e.g. to '10.0.0.0/16')",
      "csl.prod.network.cidr: 10.200.0.0/16 overlaps 10.200.1.0/24, the network shipment.staging routes to externalDatabases.dolibarr; that network can then never be routed from this VPC (move the VPC, e.g. to '10.0.0.0/16')",
      "csl.prod.network.cidr: 10.200.0.0/16 overlaps 10.200.2.0/24, the network shipment.prod routes to externalDatabases.dolibarr; that network can then never be routed from this VPC (move the VPC, e.g. to '10.0.0.0/16')",
    ]);
  });

  test('stages left out of a selection are still checked against', () => {
    const bad = edited(csl, (d) => {
      d.stages.prod.domainName = 'dev.cfpcsl.com';
    });
    const dev = resolveStage(bad, 'dev');
    expect(problemsOf(() => resolveAll([bad], ['prod'], [dev]))).toEqual([
      "csl.prod.domainName: 'dev.cfpcsl.com' is also the domain of csl.dev; each stage needs a domain of its own, since its records, certificate and cookies live there (e.g. 'prod.cfpcsl.com')",
    ]);
    expect(loadConfigs({ stages: ['prod'] }).map((c) => c.system)).toEqual(
      SYSTEMS.filter((system) => stagesOf(system).includes('prod')).map((system) => system.name),
    );
  });
});
