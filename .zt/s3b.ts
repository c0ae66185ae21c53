import { S3Client, GetObjectCommand } from '@aws-sdk/client-s3';
export const get = async () => new S3Client({}).send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }));
