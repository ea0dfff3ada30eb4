/**
 * Helpers to run the project's synthesized Step Functions definitions in the
 * aws-local-stepfunctions interpreter and to check what the interpreter cannot.
 */

/** An Amazon States Language definition, as far as these helpers read it. */
export interface AslDefinition {
  readonly StartAt: string;
  readonly TimeoutSeconds?: number;
  readonly States: Record<string, AslState>;
}

/** One state of a definition. */
export interface AslState {
  readonly Type: string;
  readonly Next?: string;
  readonly Default?: string;
  readonly Seconds?: number;
  readonly Choices?: ChoiceRule[];
  readonly Catch?: { ErrorEquals: string[]; Next: string }[];
  readonly [key: string]: unknown;
}

/** A Choice rule: a data test (`Variable` and one operator) or And/Or/Not of rules. */
export interface ChoiceRule {
  readonly Variable?: string;
  readonly And?: ChoiceRule[];
  readonly Or?: ChoiceRule[];
  readonly Not?: ChoiceRule;
  readonly IsPresent?: boolean;
  readonly Next?: string;
  readonly [operator: string]: unknown;
}

/** Fake values for the pseudo parameters and references of a template. */
const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'eu-west-1',
  'AWS::AccountId': '111111111111',
  'AWS::URLSuffix': 'amazonaws.com',
};

/** Resolves the intrinsics a definition string uses to fake, recognisable values. */
function resolve(value: unknown): string {
  if (typeof value === 'string') return value;
  const obj = value as Record<string, unknown>;
  if ('Fn::Join' in obj) {
    const [sep, parts] = obj['Fn::Join'] as [string, unknown[]];
    return parts.map(resolve).join(sep);
  }
  if ('Ref' in obj) {
    const ref = String(obj.Ref);
    return PSEUDO[ref] ?? `ref-${ref}`;
  }
  if ('Fn::GetAtt' in obj) {
    const [id, attribute] = obj['Fn::GetAtt'] as [string, string];
    return attribute === 'Arn' ? `arn:aws:lambda:eu-west-1:111111111111:function:${id}` : `${id}.${attribute}`;
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)} in a state machine definition`);
}

/** Every state machine of a template, by logical id, with its definition parsed. */
export function stateMachines(template: {
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}): [string, AslDefinition][] {
  return Object.entries(template.Resources ?? {})
    .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
    .map(([id, r]) => [id, JSON.parse(resolve(r.Properties!.DefinitionString)) as AslDefinition]);
}

/**
 * Choice rules that read a path which may be missing: Step Functions fails the execution with
 * `States.Runtime` when a rule's `Variable` does not exist (only `IsPresent` is safe), and no
 * Catch catches that. A rule is safe when it is an `IsPresent` test, when an `IsPresent: true`
 * test of the same path comes before it inside an `And`, or when its path is the context object
 * (`$$.`), which Step Functions always fills.
 *
 * @returns `State: Variable` for each unsafe rule
 */
export function unguardedChoiceVariables(definition: AslDefinition): string[] {
  const found: string[] = [];
  const visit = (state: string, rule: ChoiceRule, guarded: Set<string>) => {
    if (rule.And) {
      const inner = new Set(guarded);
      for (const member of rule.And) {
        visit(state, member, inner);
        if (member.Variable && member.IsPresent === true) inner.add(member.Variable);
      }
      return;
    }
    for (const member of rule.Or ?? []) visit(state, member, guarded);
    if (rule.Not) visit(state, rule.Not, guarded);
    const variable = rule.Variable;
    if (variable === undefined || 'IsPresent' in rule || variable.startsWith('$$.') || guarded.has(variable)) return;
    found.push(`${state}: ${variable}`);
  };
  const walk = (states: Record<string, AslState>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Choice') for (const rule of state.Choices ?? []) visit(name, rule, new Set());
      // Parallel branches and Map iterators hold state machines of their own.
      for (const branch of (state.Branches as AslDefinition[] | undefined) ?? []) walk(branch.States);
      const inner = (state.ItemProcessor ?? state.Iterator) as AslDefinition | undefined;
      if (inner) walk(inner.States);
    }
  };
  walk(definition.States);
  return found;
}

/**
 * Seconds the definition waits before each Task state: a Wait state's `Seconds` when the Wait
 * leads to it. The tests advance their clock by it on each call, so a loop costs what it would.
 */
export function waitBefore(definition: AslDefinition): Record<string, number> {
  const seconds: Record<string, number> = {};
  for (const state of Object.values(definition.States)) {
    if (state.Type === 'Wait' && state.Next && state.Seconds !== undefined) seconds[state.Next] = state.Seconds;
  }
  return seconds;
}

/** Every Wait state, overridden to pass at once. */
export function noWaits(definition: AslDefinition): Record<string, number> {
  return Object.fromEntries(
    Object.entries(definition.States)
      .filter(([, s]) => s.Type === 'Wait')
      .map(([name]) => [name, 0]),
  );
}

/** Every Retry of every state, overridden to retry at once. */
export function noRetryPauses(definition: AslDefinition): Record<string, number> {
  return Object.fromEntries(
    Object.entries(definition.States)
      .filter(([, s]) => Array.isArray(s.Retry))
      .map(([name]) => [name, 0]),
  );
}
