// The rule language for segments and tiers: validate (parseRule), compile to parameterised SQL
// (compileRule / selectMembers), and know what a rule depends on (ruleDependencies).
export * from './rule.model';
export * from './rule.schema';
export * from './field.catalog';
export * from './rule.problems';
export * from './rule.validator';
export * from './rule.compiler';
export * from './rule.dependencies';
export * from './tier.rules';
