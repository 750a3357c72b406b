import { describe, expect, it } from 'vitest';
import { awsServiceUrl, parseEndpoint } from '../../../src/aws/endpoint.js';

describe('endpoints', () => {
  it('builds the control-plane URL per partition', () => {
    expect(awsServiceUrl('kinesisvideo', 'eu-central-1')).toBe('https://kinesisvideo.eu-central-1.amazonaws.com');
    expect(awsServiceUrl('kinesisvideo', 'cn-north-1')).toBe('https://kinesisvideo.cn-north-1.amazonaws.com.cn');
    expect(awsServiceUrl('kinesisvideo', 'us-east-1', { dualStack: true })).toBe('https://kinesisvideo.us-east-1.api.aws');
  });

  it('rejects a region that is not a region name with AWS_INVALID_REGION', () => {
    expect(() => awsServiceUrl('kinesisvideo', 'Frankfurt')).toThrow(expect.objectContaining({ code: 'AWS_INVALID_REGION' }));
  });

  it('splits a data endpoint into what node:http needs, with the Host header value to sign', () => {
    expect(parseEndpoint('https://s-96607c7a.kinesisvideo.eu-central-1.amazonaws.com')).toEqual({
      protocol: 'https:',
      hostname: 's-96607c7a.kinesisvideo.eu-central-1.amazonaws.com',
      port: 443,
      host: 's-96607c7a.kinesisvideo.eu-central-1.amazonaws.com',
      basePath: '',
    });
    expect(parseEndpoint('http://127.0.0.1:4567/video/')).toMatchObject({ protocol: 'http:', port: 4567, host: '127.0.0.1:4567', basePath: '/video' });
  });

  it('rejects endpoints that are not http(s) URLs with AWS_INVALID_ENDPOINT', () => {
    expect(() => parseEndpoint('not a url')).toThrow(expect.objectContaining({ code: 'AWS_INVALID_ENDPOINT' }));
    expect(() => parseEndpoint('ftp://x')).toThrow(expect.objectContaining({ code: 'AWS_INVALID_ENDPOINT' }));
  });
});
