//! How the file, folder and stream uploads send an object's bytes: part workers that take
//! parts from a shared queue (`workers`) and report to the upload's coordinator (`messages`),
//! how many of them to run (`auto_tasks`), the callbacks of one upload (`upload_reporter`),
//! and the whole object in one PutObject when it is under one part (`whole_object`).

pub(crate) mod auto_tasks;
pub(crate) mod messages;
pub(crate) mod upload_reporter;
pub(crate) mod whole_object;
pub(crate) mod workers;
