/** `job-types.json`: what console/build.ts generates from the job type definitions. */
export interface JsonSchema {
  readonly type?: string;
  readonly description?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly enum?: readonly (string | number)[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
}

export interface JobTypeEntry {
  readonly name: string;
  readonly description: string;
  readonly input: JsonSchema;
}

export interface JobTypeCatalogue {
  readonly types: readonly JobTypeEntry[];
  readonly statuses: readonly string[];
  readonly priorities: readonly string[];
  /** Upload content type by document format (`pdf` → `application/pdf`). */
  readonly documentContentTypes: Readonly<Record<string, string>>;
}
