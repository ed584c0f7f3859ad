// The rule language of segments (and the fields tiers range over): validate (parseRule), know what a rule
// depends on (ruleDependencies). Compiling it to SQL is the repository's: segments/segment-rule.repository.ts.
export * from './rule.model';
export * from './rule.schema';
export * from './field.catalog';
export * from './rule.problems';
export * from './rule.validator';
export * from './rule.dependencies';
