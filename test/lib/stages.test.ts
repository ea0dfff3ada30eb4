import { baselineCases } from './guard/baselines.cases';
import { stageFixture } from '../stage-fixture';
import { appTaskCases } from './services/app-task.cases';
import { blueGreenCases } from './deployment/blue-green.cases';
import { migrationsCases } from './deployment/migrations.cases';
import { monitoringCases } from './observability/monitoring.cases';
import { appStackCases } from './stacks/app-stack.cases';
import { dataStackCases } from './stacks/data-stack.cases';
import { edgeNetworkCases } from './stacks/edge-network.cases';
import { pipelineStackCases } from './stacks/pipeline-stack.cases';
import { statefulContractCases } from './stateful-contract.cases';
import { appCases } from './app.cases';
import { appWiringCases } from './app-wiring.cases';
import { crossStackCases } from './cross-stack-references.cases';
import { imageContractCases } from '../scripts/image-contract.cases';

// One synthesis of every stage, with every check, shared by the tests of each construct and stack.
const fixture = stageFixture();

describe('every stage of every system', () => appCases(fixture));
describe('data stack', () => dataStackCases(fixture));
describe('app and edge stacks', () => appStackCases(fixture));
describe('what the running apps need', () => appWiringCases(fixture));
describe('image contracts and reference images', () => imageContractCases(fixture));
describe('blue/green delivery', () => blueGreenCases(fixture));
describe('migrations state machine', () => migrationsCases(fixture));
describe('listener priorities and ECS Exec per tier', () => appTaskCases(fixture));
describe('monitoring and backups', () => monitoringCases(fixture));
describe('data, network and edge over time', () => edgeNetworkCases(fixture));
describe('delivery pipelines', () => pipelineStackCases(fixture));
describe('stateful contract', () => statefulContractCases(fixture));
describe('replacement guard', () => baselineCases(fixture));
describe('cross-stack references', () => crossStackCases(fixture));
