import * as fs from 'fs';
import { loadConfigs, SYSTEMS } from '../../config';
import { diagram, page, pagePath } from '../../scripts/diagram';

describe.each(SYSTEMS.map((s) => s.name))('the %s architecture diagram', (system) => {
  const [prod] = loadConfigs({ systems: [system], stages: ['prod'] });
  const text = diagram(prod);

  test('names every service, with its host where it has one', () => {
    for (const [name, service] of Object.entries(prod.services)) {
      expect(text).toMatch(new RegExp(`^  +${name}\\["${name}<br/>`, 'm'));
      if (service.host) expect(text).toContain(`|${service.host}.${prod.domainName}| ${name}`);
    }
  });

  test('names every data store of the system and the stores each service uses', () => {
    const stores = ['mysql', 'postgres', 'redis', 'rabbitmq'].filter((s) => (prod as Record<string, unknown>)[s]);
    for (const store of [...stores, 'uploads', ...Object.keys(prod.externalDatabases)]) {
      expect(text).toMatch(new RegExp(`^  +${store}\\[\\(`, 'm'));
    }
    for (const [name, service] of Object.entries(prod.services)) {
      for (const use of service.uses) expect(text).toContain(`${name} --> ${use}`);
    }
    expect(text.includes('postgres[(')).toBe(system === 'csl');
    expect(text.includes('dolibarr[(')).toBe(system === 'shipment');
  });

  test('is committed as generated (run `npm run docs` after a config change)', () => {
    expect(fs.readFileSync(pagePath(system), 'utf8')).toBe(page(system));
  });
});
