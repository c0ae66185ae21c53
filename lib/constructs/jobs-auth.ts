/**
 * Who may call the API: a Cognito user pool and app client, created here or imported.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  UserPool,
  UserPoolClient,
  type IUserPool,
  type IUserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { ExistingUserPool } from '../config.ts';
import { acknowledge } from '../nag.ts';

export interface JobsAuthProps {
  /** Trust this pool and client instead of creating them. @default - a new pool and client */
  readonly existingUserPool?: ExistingUserPool;
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
  readonly userPoolClient: IUserPoolClient;

  constructor(scope: Construct, id: string, props: JobsAuthProps = {}) {
    super(scope, id);
    if (props.existingUserPool) {
      const { userPoolId, userPoolClientId } = props.existingUserPool;
      this.userPool = UserPool.fromUserPoolId(this, 'UserPool', userPoolId);
      this.userPoolClient = UserPoolClient.fromUserPoolClientId(this, 'UserPoolClient', userPoolClientId);
      return;
    }

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
    this.userPool = userPool;
    this.userPoolClient = userPool.addClient('ApiClient', {
      generateSecret: false,
      authFlows: { userSrp: true, userPassword: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
    });

    acknowledge(userPool, 'AwsSolutions-COG2', 'TOTP MFA is offered but optional so that scripts and integration tests can sign in with SRP or a password; set mfa REQUIRED for pools of people only.');
    acknowledge(userPool, 'AwsSolutions-COG8', 'Threat protection needs the Cognito Plus feature plan (billed per user); the pool is admin-invite only, which removes open sign-up abuse.');
  }
}
