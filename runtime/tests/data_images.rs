//! Image folders: class order, shapes, channel layout, scaling, resizing, grayscale conversion.

use kiln::data::{load_image, ImageFolder};
use std::path::Path;

fn png(path: &Path, img: image::RgbImage) {
    img.save(path).unwrap();
}

/// `<root>/cats/{b.png,a.png,c.JPG}`, `<root>/birds/z.png`, plus files to be ignored.
fn make_folder(root: &Path) {
    for class in ["cats", "birds", ".hidden"] {
        std::fs::create_dir_all(root.join(class)).unwrap();
    }
    // 4x2 (w×h) solid red; 6x6 solid (10, 20, 30); left half black / right half white, 8x4.
    png(
        &root.join("cats/b.png"),
        image::RgbImage::from_pixel(4, 2, image::Rgb([255, 0, 0])),
    );
    png(
        &root.join("cats/a.png"),
        image::RgbImage::from_pixel(6, 6, image::Rgb([10, 20, 30])),
    );
    image::RgbImage::from_pixel(3, 2, image::Rgb([0, 0, 255]))
        .save_with_format(root.join("cats/c.JPG"), image::ImageFormat::Jpeg)
        .unwrap();
    png(
        &root.join("birds/z.png"),
        image::RgbImage::from_fn(8, 4, |x, _| {
            if x < 4 {
                image::Rgb([0, 0, 0])
            } else {
                image::Rgb([255, 255, 255])
            }
        }),
    );
    std::fs::write(root.join("cats/readme.txt"), "ignored").unwrap();
    png(
        &root.join(".hidden/x.png"),
        image::RgbImage::from_pixel(1, 1, image::Rgb([1, 1, 1])),
    );
    std::fs::write(root.join("top-level.png"), "ignored: not in a class folder").unwrap();
}

#[test]
fn folder_loads_sorted_classes_shapes_and_scaling() {
    let dir = tempfile::tempdir().unwrap();
    make_folder(dir.path());
    let f = ImageFolder::<f32>::load(dir.path(), 2, 4, 3).unwrap();
    assert_eq!(f.classes, ["birds", "cats"]);
    assert_eq!(f.data.y, [0, 1, 1, 1]);
    let names: Vec<String> = f
        .paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["z.png", "a.png", "b.png", "c.JPG"]);
    assert_eq!((f.data.len(), f.data.features()), (4, 2 * 4 * 3));
    assert!(f.data.x.iter().all(|&v| (0.0..=1.0).contains(&v)));

    // a.png: 6x6 solid → 2x4, still solid; channels-last: R, G, B per pixel.
    let a = f.data.sample(1);
    for px in a.chunks(3) {
        assert_eq!(px, [10.0 / 255.0, 20.0 / 255.0, 30.0 / 255.0]);
    }
    // b.png already 4x2 (w×h): copied exactly, red.
    let b = f.data.sample(2);
    assert!(b.chunks(3).all(|px| px == [1.0, 0.0, 0.0]));
    // z.png 8x4 → 4x2: the left columns stay dark, the right columns light, in each row.
    let z = f.data.sample(0);
    for row in 0..2 {
        let at = |col: usize| z[(row * 4 + col) * 3];
        assert!(
            at(0) < 0.1 && at(3) > 0.9,
            "row {row}: {:?}",
            &z[row * 12..row * 12 + 12]
        );
        assert!(at(0) <= at(1) && at(1) <= at(2) && at(2) <= at(3));
    }
    // The JPEG is blue, within compression error.
    let c = f.data.sample(3);
    assert!(
        c.chunks(3)
            .all(|px| px[0] < 0.1 && px[1] < 0.1 && px[2] > 0.9),
        "{c:?}"
    );
}

#[test]
fn grayscale_uses_itu_601_luma_like_pillow() {
    let dir = tempfile::tempdir().unwrap();
    make_folder(dir.path());
    let f = ImageFolder::<f64>::load(dir.path(), 3, 3, 1).unwrap();
    assert_eq!(f.data.features(), 9);
    // Pillow: L = (19595·10 + 38470·20 + 7471·30 + 32768) >> 16 = 18 for (10, 20, 30).
    assert!(f.data.sample(1).iter().all(|&v| v == 18.0 / 255.0));
    // Pure red: (19595·255 + 32768) >> 16 = 76.
    let red = load_image::<f32>(dir.path().join("cats/b.png"), 2, 4, 1).unwrap();
    assert_eq!(red, vec![76.0 / 255.0; 8]);
}

#[test]
fn rgba_and_gray_sources_convert() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("rgba.png");
    image::RgbaImage::from_pixel(2, 2, image::Rgba([0, 255, 0, 7]))
        .save(&p)
        .unwrap();
    assert_eq!(
        load_image::<f32>(&p, 2, 2, 3).unwrap(),
        [0.0, 1.0, 0.0].repeat(4),
        "alpha is dropped, as Keras' RGB conversion does"
    );
    let p = dir.path().join("gray.png");
    image::GrayImage::from_pixel(2, 2, image::Luma([51]))
        .save(&p)
        .unwrap();
    assert_eq!(load_image::<f32>(&p, 1, 1, 3).unwrap(), [0.2; 3]);
    assert_eq!(load_image::<f32>(&p, 1, 1, 1).unwrap(), [0.2]);
}
