//! Documents shaped as in the S3 API reference's examples.

use super::*;
use crate::wire::documents::Documents;
use crate::wire::protocol::{ListedPart, PartsPage};
use serde::Deserialize;

#[test]
fn upload_id_is_read_from_initiate_result() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>example-bucket</Bucket>
  <Key>example-object</Key>
  <UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
</InitiateMultipartUploadResult>"#;
    assert_eq!(
        Xml.upload_id(body).unwrap(),
        "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"
    );
    assert!(Xml.upload_id(b"<InitiateMultipartUploadResult/>").is_err());
    assert!(Xml.upload_id(b"not xml").is_err());
}

#[test]
fn complete_body_lists_parts_in_order_with_quoted_etags() {
    let parts = [
        CompletedPart {
            part_number: 2,
            etag: "\"b2\"".into(),
            crc64_nvme: None,
        },
        CompletedPart {
            part_number: 1,
            etag: "\"a1\"".into(),
            crc64_nvme: Some(0xae8b_1486_0a79_9888),
        },
    ];
    let xml = String::from_utf8(Xml::complete_body(&parts).to_vec()).unwrap();
    let first = xml.find("<PartNumber>1</PartNumber>").unwrap();
    let second = xml.find("<PartNumber>2</PartNumber>").unwrap();
    assert!(first < second, "{xml}");
    assert!(xml.starts_with(
        "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Part>"
    ));
    // Whether the quotes are escaped or not, the ETag must read back unchanged.
    let again: CompleteForTest = quick_xml::de::from_str(&xml).unwrap();
    assert_eq!(again.part[0].etag, "\"a1\"");
    // A part's CRC-64/NVME as S3 writes it; a part without one lists none.
    assert_eq!(again.part[0].checksum.as_deref(), Some("rosUhgp5mIg="));
    assert_eq!(again.part[1].checksum, None);
}

#[test]
fn complete_result_gives_the_whole_objects_crc64_nvme_only_when_full_object() {
    let result = |checksum: &str| {
        let body = format!(
            "<CompleteMultipartUploadResult><ETag>\"e-2\"</ETag>{checksum}</CompleteMultipartUploadResult>"
        );
        Xml.completed(body.as_bytes()).unwrap().crc64_nvme()
    };
    let value = "<ChecksumCRC64NVME>rosUhgp5mIg=</ChecksumCRC64NVME>";
    assert_eq!(result(""), None);
    assert_eq!(result(value), Some(0xae8b_1486_0a79_9888));
    let full = format!("{value}<ChecksumType>FULL_OBJECT</ChecksumType>");
    assert_eq!(result(&full), Some(0xae8b_1486_0a79_9888));
    let composite = format!("{value}<ChecksumType>COMPOSITE</ChecksumType>");
    assert_eq!(result(&composite), None);
    let garbled = "<ChecksumCRC64NVME>rosUhgp5mIg=-2</ChecksumCRC64NVME>";
    assert_eq!(result(garbled), None);
}

#[derive(Deserialize)]
struct CompleteForTest {
    #[serde(rename = "Part")]
    part: Vec<PartForTest>,
}

#[derive(Deserialize)]
struct PartForTest {
    #[serde(rename = "ETag")]
    etag: String,
    #[serde(rename = "ChecksumCRC64NVME", default)]
    checksum: Option<String>,
}

#[test]
fn complete_result_keeps_etag_and_location() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Location>http://Example-Bucket.s3.region.amazonaws.com/Example-Object</Location>
  <Bucket>Example-Bucket</Bucket>
  <Key>Example-Object</Key>
  <ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag>
</CompleteMultipartUploadResult>"#;
    let result = Xml.completed(body).unwrap();
    assert_eq!(result.etag, "\"3858f62230ac3c915f300c664312c11f-9\"");
    assert!(result.location.ends_with("/Example-Object"));
    assert_eq!(
        root_name(body).as_deref(),
        Some("CompleteMultipartUploadResult")
    );
}

#[test]
fn list_parts_pages_follow_next_part_number_marker() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>example-bucket</Bucket>
  <Key>example-object</Key>
  <UploadId>XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA</UploadId>
  <PartNumberMarker>1</PartNumberMarker>
  <NextPartNumberMarker>3</NextPartNumberMarker>
  <MaxParts>2</MaxParts>
  <IsTruncated>true</IsTruncated>
  <Part>
    <PartNumber>2</PartNumber>
    <LastModified>2010-11-10T20:48:34.000Z</LastModified>
    <ETag>"7778aef83f66abc1fa1e8477f296d394"</ETag>
    <Size>10485760</Size>
  </Part>
  <Part>
    <PartNumber>3</PartNumber>
    <LastModified>2010-11-10T20:48:33.000Z</LastModified>
    <ETag>"aaaa18db4cc2f85cedef654fccc4a4x8"</ETag>
    <Size>10485760</Size>
  </Part>
</ListPartsResult>"#;
    let page = Xml.parts_page(body).unwrap();
    assert_eq!(page.next_marker, Some(3));
    assert_eq!(page.parts.len(), 2);
    assert_eq!(
        page.parts[0],
        ListedPart {
            part_number: 2,
            size: 10_485_760,
            etag: "\"7778aef83f66abc1fa1e8477f296d394\"".into(),
        }
    );
}

#[test]
fn list_parts_last_page_and_empty_page() {
    let last = br#"<ListPartsResult><IsTruncated>false</IsTruncated><NextPartNumberMarker>1</NextPartNumberMarker><Part><PartNumber>1</PartNumber><ETag>"e"</ETag><Size>5</Size></Part></ListPartsResult>"#;
    let page = Xml.parts_page(last).unwrap();
    assert_eq!(page.next_marker, None);
    assert_eq!(page.parts.len(), 1);
    let empty = br#"<ListPartsResult><IsTruncated>false</IsTruncated></ListPartsResult>"#;
    assert_eq!(Xml.parts_page(empty).unwrap(), PartsPage::default());
    // Truncated without a marker: the last listed part stands in for it.
    let odd = br#"<ListPartsResult><IsTruncated>true</IsTruncated><Part><PartNumber>7</PartNumber><ETag>"e"</ETag><Size>5</Size></Part></ListPartsResult>"#;
    assert_eq!(Xml.parts_page(odd).unwrap().next_marker, Some(7));
}

#[test]
fn error_documents_are_recognised_by_their_root() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>NoSuchKey</Code>
  <Message>The resource you requested does not exist</Message>
  <Resource>/mybucket/myfoto.jpg</Resource>
  <RequestId>4442587FB7D0A2F9</RequestId>
  <HostId>host-id-1</HostId>
</Error>"#;
    assert_eq!(
        Xml::decode_error(body),
        Some(ErrorDoc {
            code: "NoSuchKey".into(),
            message: "The resource you requested does not exist".into(),
            request_id: "4442587FB7D0A2F9".into(),
            host_id: "host-id-1".into(),
            ec: String::new(),
        })
    );
    assert_eq!(Xml::decode_error(b""), None);
    assert_eq!(Xml::decode_error(b"<html><body>502</body></html>"), None);
}

#[test]
fn list_uploads_reads_every_upload_and_the_next_markers() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>b</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>
  <NextKeyMarker>dir/b</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker>
  <MaxUploads>2</MaxUploads><IsTruncated>true</IsTruncated>
  <Upload><Key>dir/a</Key><UploadId>u1</UploadId><Initiated>2026-11-30T02:30:11.000Z</Initiated>
    <StorageClass>STANDARD</StorageClass></Upload>
  <Upload><Key>dir/b</Key><UploadId>u2</UploadId><Initiated>2026-11-30T02:30:12Z</Initiated></Upload>
</ListMultipartUploadsResult>"#;
    let page = Xml.uploads_page(body).unwrap();
    assert_eq!(page.uploads.len(), 2);
    assert_eq!(page.uploads[1].key, "dir/b");
    assert_eq!(page.uploads[1].initiated, Some(1_796_005_812));
    let next = page.next_marker.unwrap();
    assert_eq!(
        (next.key.as_str(), next.upload_id.as_str()),
        ("dir/b", "u2")
    );
    let last = br#"<ListMultipartUploadsResult><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>"#;
    assert_eq!(Xml.uploads_page(last).unwrap(), Default::default());
    let no_id = br#"<ListMultipartUploadsResult><Upload><Key>k</Key></Upload></ListMultipartUploadsResult>"#;
    assert!(Xml.uploads_page(no_id).is_err());
    assert!(Xml.uploads_page(b"{\"json\":1}").is_err());
}

#[test]
fn list_objects_v2_pages_are_read_from_xml() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated><NextContinuationToken>tok==</NextContinuationToken>
  <Contents><Key>p/a</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>
    <ETag>&quot;e1&quot;</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>p/b</Key><ETag>"e2"</ETag><Size>5</Size></Contents>
</ListBucketResult>"#;
    let page = Xml.objects_page(body).unwrap();
    assert_eq!(page.next_token.as_deref(), Some("tok=="));
    let keys: Vec<(&str, u64, &str)> = page
        .objects
        .iter()
        .map(|o| (o.key.as_str(), o.size, o.etag.as_str()))
        .collect();
    assert_eq!(keys, [("p/a", 3, "\"e1\""), ("p/b", 5, "\"e2\"")]);
    let one = br#"<ListBucketResult><IsTruncated>false</IsTruncated>
        <Contents><Key>k</Key><Size>1</Size><HashCrc64ecma>42</HashCrc64ecma></Contents>
        </ListBucketResult>"#;
    assert_eq!(Xml.objects_page(one).unwrap().objects[0].crc64, Some(42));
    let empty = b"<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>";
    assert!(Xml.objects_page(empty).unwrap().objects.is_empty());
}
