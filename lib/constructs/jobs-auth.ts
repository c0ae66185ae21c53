/**
 * Who may call the API: a Cognito user pool and the people's app client, created here or imported;
 * the resource server `jobs` (scopes `jobs/read`, `jobs/write`); app clients for services with the
 * client-credentials grant (context `machineClients`); and the domain serving `/oauth2/token`.
 */
import { Aws, Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  OAuthScope,
  ResourceServerScope,
  UserPool,
  UserPoolClient,
  UserPoolDomain,
  UserPoolResourceServer,
  type IUserPool,
  type IUserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { JOB_SCOPES, RESOURCE_SERVER_ID, type RouteScope } from '../../lambdas/http/principal.ts';
import type { ExistingUserPool } from '../config.ts';
import { acknowledge } from '../nag.ts';

export interface JobsAuthProps {
  /** Trust this pool and client instead of creating them. @default - a new pool and client */
  readonly existingUserPool?: ExistingUserPool;
  /** App clients for services (client-credentials grant), by name, with their scopes. @default none */
  readonly machineClients?: Readonly<Record<string, readonly string[]>>;
  /**
   * The Cognito domain prefix of the token endpoint. @default `jobs-<account>-<region>` for a
   * created pool; none for an existing pool (give one to add a domain to it)
   */
  readonly domainPrefix?: string;
  /** Applies to a created pool only. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A created pool: administrators create users (no self sign-up, so nobody can register and spend
 * Bedrock tokens), users sign in with their email, passwords are 12+ characters of all classes,
 * TOTP MFA is optional, and recovery is by email only. The app client is public (no secret) and
 * allows SRP and password sign-in, the latter for scripts and integration tests.
 */
export class JobsAuth extends Construct {
  readonly userPool: IUserPool;
  /** The people's app client: the audience of the ID tokens the API accepts. */
  readonly userPoolClient: IUserPoolClient;
  /** The resource server `jobs` with the scopes `jobs/read` and `jobs/write`. */
  readonly resourceServer: UserPoolResourceServer;
  /** The app clients of services (client-credentials grant, with a secret), by name. */
  readonly machineClients: ReadonlyMap<string, UserPoolClient>;
  /** The domain serving `/oauth2/token`, if any. */
  readonly domain?: UserPoolDomain;

  constructor(scope: Construct, id: string, props: JobsAuthProps = {}) {
    super(scope, id);
    if (props.existingUserPool) {
      const { userPoolId, userPoolClientId } = props.existingUserPool;
      this.userPool = UserPool.fromUserPoolId(this, 'UserPool', userPoolId);
      this.userPoolClient = UserPoolClient.fromUserPoolClientId(this, 'UserPoolClient', userPoolClientId);
    } else {
      const created = this.createPool(props);
      this.userPool = created.userPool;
      this.userPoolClient = created.client;
    }

    const scopes = Object.fromEntries(
      (Object.keys(JOB_SCOPES) as RouteScope[]).map((name) => [JOB_SCOPES[name], new ResourceServerScope({ scopeName: name, scopeDescription: SCOPE_DESCRIPTIONS[name] })]),
    );
    this.resourceServer = new UserPoolResourceServer(this, 'ResourceServer', {
      userPool: this.userPool,
      identifier: RESOURCE_SERVER_ID,
      userPoolResourceServerName: 'Asynchronous jobs API',
      scopes: Object.values(scopes),
    });
    const clients = new Map<string, UserPoolClient>();
    for (const [name, granted] of Object.entries(props.machineClients ?? {})) {
      clients.set(name, new UserPoolClient(this, `MachineClient-${name}`, {
        userPool: this.userPool,
        userPoolClientName: name,
        generateSecret: true,
        oAuth: {
          flows: { clientCredentials: true },
          scopes: granted.map((scope) => {
            const found = scopes[scope];
            if (!found) throw new Error(`Machine client ${name}: unknown scope ${scope}`);
            return OAuthScope.resourceServer(this.resourceServer, found);
          }),
        },
        accessTokenValidity: Duration.hours(1),
        enableTokenRevocation: true,
        preventUserExistenceErrors: true,
      }));
    }
    this.machineClients = clients;

    const prefix = props.domainPrefix ?? (props.existingUserPool ? undefined : Fn.join('-', ['jobs', Aws.ACCOUNT_ID, Aws.REGION]));
    if (prefix) this.domain = new UserPoolDomain(this, 'Domain', { userPool: this.userPool, cognitoDomain: { domainPrefix: prefix } });
  }

  /** `https://<prefix>.auth.<region>.amazoncognito.com/oauth2/token`, where services get their tokens. */
  get tokenEndpoint(): string | undefined {
    return this.domain ? `${this.domain.baseUrl()}/oauth2/token` : undefined;
  }

  private createPool(props: JobsAuthProps): { userPool: UserPool; client: UserPoolClient } {
    const userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      signInCaseSensitive: false,
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.ESSENTIALS,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const client = userPool.addClient('ApiClient', {
      generateSecret: false,
      authFlows: { userSrp: true, userPassword: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
    });

    acknowledge(userPool, 'AwsSolutions-COG2', 'TOTP MFA is offered but optional so that scripts and integration tests can sign in with SRP or a password; set mfa REQUIRED for pools of people only.');
    acknowledge(userPool, 'AwsSolutions-COG8', 'Threat protection needs the Cognito Plus feature plan (billed per user); the pool is admin-invite only, which removes open sign-up abuse.');
    return { userPool, client };
  }
}

const SCOPE_DESCRIPTIONS: Record<RouteScope, string> = {
  read: 'Read jobs: list, get, status, result',
  write: 'Change jobs: create, cancel, retry, upload documents',
};
