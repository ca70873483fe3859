// Reads {"introspection": <the data of getIntrospectionQuery>, "queries": ["..."]} on stdin and
// writes {"introspectionQuery", "sdl", "validation"} on stdout, computed by graphql-js, the
// reference implementation front-ends validate with: the SDL is
// printSchema(buildClientSchema(introspection)), and each query's validation errors are listed.
import { buildClientSchema, getIntrospectionQuery, parse, printSchema, validate } from 'graphql';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');

const introspectionQuery = getIntrospectionQuery({
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
});
const output = { introspectionQuery };
if (input.introspection) {
  const schema = buildClientSchema(input.introspection);
  output.sdl = printSchema(schema);
  output.validation = (input.queries ?? []).map((query) =>
    validate(schema, parse(query)).map((error) => error.message),
  );
}
process.stdout.write(JSON.stringify(output));
