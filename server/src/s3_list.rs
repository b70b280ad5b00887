//! The S3 front end's ListMultipartUploads document: the same paging as the TOS front end
//! (`multipart::uploads_page`), written as S3's `ListMultipartUploadsResult`.

use crate::multipart::uploads_page;
use crate::s3::xml_escape;
use crate::storage::UploadMeta;
use crate::util::iso8601;

pub struct Listing<'a> {
    pub bucket: &'a str,
    pub prefix: &'a str,
    pub key_marker: &'a str,
    pub id_marker: &'a str,
    pub max: usize,
}

impl Listing<'_> {
    pub fn render(&self, open: Vec<UploadMeta>) -> String {
        let (page, truncated) = uploads_page(open, self.key_marker, self.id_marker, self.max);
        let mut doc = format!(
            "<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <Bucket>{}</Bucket><Prefix>{}</Prefix><KeyMarker>{}</KeyMarker>\
             <UploadIdMarker>{}</UploadIdMarker><MaxUploads>{}</MaxUploads>\
             <IsTruncated>{truncated}</IsTruncated>",
            xml_escape(self.bucket),
            xml_escape(self.prefix),
            xml_escape(self.key_marker),
            xml_escape(self.id_marker),
            self.max
        );
        if let Some(last) = page.last().filter(|_| truncated) {
            doc += &format!(
                "<NextKeyMarker>{}</NextKeyMarker><NextUploadIdMarker>{}</NextUploadIdMarker>",
                xml_escape(&last.key),
                xml_escape(&last.upload_id)
            );
        }
        for upload in &page {
            doc += &format!(
                "<Upload><Key>{}</Key><UploadId>{}</UploadId><Initiated>{}</Initiated>\
                 <StorageClass>STANDARD</StorageClass></Upload>",
                xml_escape(&upload.key),
                xml_escape(&upload.upload_id),
                iso8601(upload.initiated_ms)
            );
        }
        doc + "</ListMultipartUploadsResult>"
    }
}
