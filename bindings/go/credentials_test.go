package tosupload_test

import (
	"context"
	"errors"
	"os"
	"testing"

	tos "github.com/libtosupload/libtosupload/bindings/go"
)

// optionsWith is the local server's endpoint and region with the given credentials choice and
// no keys; no retries, so a refused request fails at once.
func optionsWith(credentials tos.Credentials) tos.ClientOptions {
	return tos.ClientOptions{
		Endpoint:      os.Getenv("TOS_ENDPOINT"),
		Region:        os.Getenv("TOS_REGION"),
		Credentials:   credentials,
		MaxRetryCount: -1,
	}
}

// Static (the fields) and Environment (TOS_ACCESS_KEY..., which scripts/with_server.py sets)
// both sign: the upload goes through. Anonymous sends unsigned requests: the local server's
// 403 AccessDenied for a missing Authorization header shows nothing was signed. Choices that
// contradict the fields are refused by NewClient.
func TestCredentialsChoice(t *testing.T) {
	bucket, adminURL := env(t)
	path, crc := makeFile(t, 1000)
	upload := func(opts tos.ClientOptions, key string) (*tos.UploadFileOutput, error) {
		t.Helper()
		c, err := tos.NewClient(opts)
		if err != nil {
			t.Fatalf("NewClient(%s): %v", opts.Credentials, err)
		}
		defer c.Close()
		return c.UploadFile(context.Background(), &tos.UploadFileInput{Bucket: bucket, Key: key, FilePath: path})
	}

	static := optionsWith(tos.CredentialsStatic)
	static.AccessKey, static.SecretKey = os.Getenv("TOS_ACCESS_KEY"), os.Getenv("TOS_SECRET_KEY")
	if out, err := upload(static, "go/credentials-static.bin"); err != nil || out.HashCrc64ecma != crc {
		t.Errorf("Static: %v", err)
	}
	checkObjectBytes(t, adminURL, bucket, "go/credentials-static.bin", path)
	if out, err := upload(optionsWith(tos.CredentialsEnvironment), "go/credentials-env.bin"); err != nil || out.HashCrc64ecma != crc {
		t.Errorf("Environment: %v", err)
	}
	_, err := upload(optionsWith(tos.CredentialsAnonymous), "go/credentials-anonymous.bin")
	var e *tos.Error
	if !errors.As(err, &e) || e.Result != tos.ResultServer || e.HTTPStatus != 403 || e.Code != "AccessDenied" {
		t.Errorf("Anonymous: %v, want 403 AccessDenied", err)
	}

	anonymousWithKeys := optionsWith(tos.CredentialsAnonymous)
	anonymousWithKeys.AccessKey, anonymousWithKeys.SecretKey = "AK", "SK"
	environmentWithKey := optionsWith(tos.CredentialsEnvironment)
	environmentWithKey.AccessKey = "AK"
	for _, c := range []struct {
		what string
		opts tos.ClientOptions
		want tos.Result
	}{
		{"Static without an access key", optionsWith(tos.CredentialsStatic), tos.ResultMissingCredentials},
		{"Anonymous with keys", anonymousWithKeys, tos.ResultInvalidArgument},
		{"Environment with an access key", environmentWithKey, tos.ResultInvalidArgument},
		{"an unknown choice", optionsWith(tos.Credentials(99)), tos.ResultInvalidArgument},
	} {
		client, err := tos.NewClient(c.opts)
		if client != nil {
			client.Close()
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %s", c.what, err, c.want)
		}
	}
	if s := tos.CredentialsAnonymous.String(); s != "Anonymous" {
		t.Errorf("CredentialsAnonymous.String() = %q", s)
	}
}
