mod landing;

pub use landing::Landing;
