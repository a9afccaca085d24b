<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
  <context>
    <name>AppShell</name>
    <message>
      <location filename="../shell.py" line="130" />
      <source>Export as Markdown into a folder</source>
      <translation>导出为 Markdown（选择文件夹）</translation>
    </message>
    <message>
      <location filename="../shell.py" line="139" />
      <source>Export as JSON</source>
      <translation>导出为 JSON</translation>
    </message>
    <message>
      <location filename="../shell.py" line="148" />
      <source>Exported to %1</source>
      <translation>已导出到 %1</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/shell.py" line="129" />
      <source>Ser&amp;vers…</source>
      <translation>服务器(&amp;V)…</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/shell.py" line="130" />
      <source>&amp;Model</source>
      <translation>模型(&amp;M)</translation>
    </message>
  </context>
  <context>
    <name>ChatController</name>
    <message>
      <location filename="../controllers/chat.py" line="107" />
      <source>Incomplete: VisionDesk closed while this answer was being written.</source>
      <translation>未完成：生成此回答时 VisionDesk 已关闭。</translation>
    </message>
    <message>
      <location filename="../controllers/chat.py" line="111" />
      <source>Stopped.</source>
      <translation>已停止。</translation>
    </message>
    <message>
      <location filename="../controllers/chat.py" line="123" />
      <source>Images</source>
      <translation>图片</translation>
    </message>
    <message>
      <location filename="../controllers/chat.py" line="154" />
      <source>Waiting for the model…</source>
      <translation>正在等待模型…</translation>
    </message>
    <message>
      <location filename="../controllers/chat.py" line="207" />
      <source>Loading the model…</source>
      <translation>正在加载模型…</translation>
    </message>
    <message>
      <location filename="../controllers/chat.py" line="208" />
      <source>Looking at image %1 of %2…</source>
      <translation>正在查看第 %1 张图片（共 %2 张）…</translation>
    </message>
    <message>
      <location filename="../controllers/chat.py" line="209" />
      <source>Looking at the image…</source>
      <translation>正在查看图片…</translation>
    </message>
    <message>
      <location filename="../controllers/chat.py" line="210" />
      <source>Reading…</source>
      <translation>正在阅读…</translation>
    </message>
    <message>
      <location filename="../controllers/chat.py" line="211" />
      <source>Writing…</source>
      <translation>正在书写…</translation>
    </message>
  </context>
  <context>
    <name>ComposerController</name>
    <message>
      <location filename="../controllers/composer.py" line="103" />
      <source>Remove %1</source>
      <translation>移除 %1</translation>
    </message>
    <message>
      <location filename="../controllers/composer.py" line="123" />
      <source>Attach images</source>
      <translation>附加图片</translation>
    </message>
  </context>
  <context>
    <name>ConversationsController</name>
    <message>
      <location filename="../controllers/conversations.py" line="53" />
      <source>New chat</source>
      <translation>新对话</translation>
    </message>
    <message>
      <location filename="../controllers/conversations.py" line="108" />
      <source>Conversation deleted.</source>
      <translation>对话已删除。</translation>
    </message>
    <message>
      <location filename="../controllers/conversations.py" line="109" />
      <source>Undo</source>
      <translation>撤销</translation>
    </message>
    <message>
      <location filename="../controllers/conversations.py" line="110" />
      <source>Undo delete</source>
      <translation>撤销删除</translation>
    </message>
    <message>
      <location filename="../controllers/conversations.py" line="137" />
      <source>Rename</source>
      <translation>重命名</translation>
    </message>
    <message>
      <location filename="../controllers/conversations.py" line="138" />
      <source>Delete</source>
      <translation>删除</translation>
    </message>
  </context>
  <context>
    <name>DownloadRow</name>
    <message>
      <location filename="../views/model_manager_dialog.py" line="89" />
      <source>Pause</source>
      <translation>暂停</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="89" />
      <source>Resume</source>
      <translation>继续</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="90" />
      <source>Cancel</source>
      <translation>取消</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="93" />
      <source>Download progress of %1</source>
      <translation>%1 的下载进度</translation>
    </message>
  </context>
  <context>
    <name>MainWindow</name>
    <message>
      <location filename="../views/main_window.py" line="132" />
      <source>&amp;File</source>
      <translation>文件(&amp;F)</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="133" />
      <source>&amp;Chat</source>
      <translation>对话(&amp;C)</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="135" />
      <source>&amp;New chat</source>
      <translation>新对话(&amp;N)</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="136" />
      <source>&amp;Open GGUF files…</source>
      <translation>打开 GGUF 文件(&amp;O)…</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="137" />
      <source>&amp;Models…</source>
      <translation>模型(&amp;M)…</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="138" />
      <source>Export as &amp;Markdown…</source>
      <translation>导出为 Markdown(&amp;M)…</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="139" />
      <source>Export as &amp;JSON…</source>
      <translation>导出为 JSON(&amp;J)…</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="140" />
      <source>&amp;Settings…</source>
      <translation>设置(&amp;S)…</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="141" />
      <source>&amp;Quit</source>
      <translation>退出(&amp;Q)</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="142" />
      <source>&amp;Stop</source>
      <translation>停止(&amp;S)</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="143" />
      <source>&amp;Regenerate</source>
      <translation>重新生成(&amp;R)</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="147" />
      <location filename="../views/main_window.py" line="148" />
      <source>New chat</source>
      <translation>新对话</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="149" />
      <source>New chat (Ctrl+N)</source>
      <translation>新对话 (Ctrl+N)</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="150" />
      <location filename="../views/main_window.py" line="151" />
      <source>Search conversations</source>
      <translation>搜索对话</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="152" />
      <source>Conversations</source>
      <translation>对话列表</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="154" />
      <source>Ask about your images… (Enter sends, Shift+Enter for a new line)</source>
      <translation>询问关于图片的问题…（Enter 发送，Shift+Enter 换行）</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="155" />
      <source>Message</source>
      <translation>消息</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="156" />
      <location filename="../views/main_window.py" line="157" />
      <source>Attach images</source>
      <translation>附加图片</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="158" />
      <location filename="../views/main_window.py" line="159" />
      <source>Send</source>
      <translation>发送</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="160" />
      <location filename="../views/main_window.py" line="161" />
      <source>Stop</source>
      <translation>停止</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="162" />
      <source>Stop (Esc)</source>
      <translation>停止 (Esc)</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="163" />
      <source>Editing your last message. Sending replaces it and the answer.</source>
      <translation>正在编辑上一条消息。发送后将替换该消息及其回答。</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="164" />
      <location filename="../views/main_window.py" line="165" />
      <source>Cancel edit</source>
      <translation>取消编辑</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="166" />
      <source>Drop images here, paste them, or attach them, then ask a question.</source>
      <translation>将图片拖到这里、粘贴或附加，然后提问。</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="168" />
      <source>Conversation</source>
      <translation>对话</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="170" />
      <source>Welcome to VisionDesk</source>
      <translation>欢迎使用 VisionDesk</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="172" />
      <source>VisionDesk answers questions about your images with a vision-language model that runs entirely on this computer. To start, get a model or open GGUF files you already have (a model and, for images, its projector).</source>
      <translation>VisionDesk 使用完全在本机运行的视觉语言模型回答关于图片的问题。开始前，请获取一个模型，或打开已有的 GGUF 文件（模型文件，以及用于图片的投影器文件）。</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="175" />
      <source>Get a model…</source>
      <translation>获取模型…</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="176" />
      <source>Get a model</source>
      <translation>获取模型</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="177" />
      <source>Open GGUF files…</source>
      <translation>打开 GGUF 文件…</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="178" />
      <source>Open GGUF files</source>
      <translation>打开 GGUF 文件</translation>
    </message>
    <message>
      <location filename="../views/main_window.py" line="179" />
      <source>Dismiss</source>
      <translation>关闭提示</translation>
    </message>
  </context>
  <context>
    <name>ModelController</name>
    <message>
      <location filename="../controllers/model.py" line="70" />
      <source>Loading %1…</source>
      <translation>正在加载 %1…</translation>
    </message>
    <message>
      <location filename="../controllers/model.py" line="95" />
      <source>Open a GGUF model and, for images, its projector</source>
      <translation>打开 GGUF 模型（如需识图，同时选择其投影器）</translation>
    </message>
    <message>
      <location filename="../controllers/model.py" line="105" />
      <source>Pick the model file too, not only the projector.</source>
      <translation>请同时选择模型文件，而不只是投影器。</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/controllers/model.py" line="86" />
      <source>Connecting to %1…</source>
      <translation>正在连接 %1…</translation>
    </message>
  </context>
  <context>
    <name>DownloadQueue</name>
    <message>
      <location filename="../controllers/download_queue.py" line="132" />
      <source>Checking…</source>
      <translation>正在检查…</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="218" />
      <source>Looking up the files…</source>
      <translation>正在查找文件…</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="237" />
      <source>Waiting</source>
      <translation>等待中</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="269" />
      <source>Downloading</source>
      <translation>正在下载</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="269" />
      <source>Paused</source>
      <translation>已暂停</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="270" />
      <source>Verifying…</source>
      <translation>正在校验…</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="270" />
      <source>Installed</source>
      <translation>已安装</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="271" />
      <source>Failed</source>
      <translation>失败</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="271" />
      <source>Cancelled</source>
      <translation>已取消</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="277" />
      <source>%1 of %2</source>
      <translation>%1 / %2</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="279" />
      <source>%1/s</source>
      <translation>%1/秒</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="281" />
      <source>%1 left</source>
      <translation>剩余 %1</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="290" />
      <source>Cancelled; the partial files were deleted.</source>
      <translation>已取消；未下载完的文件已删除。</translation>
    </message>
    <message>
      <location filename="../controllers/download_queue.py" line="295" />
      <source>Installed as %1.</source>
      <translation>已安装为 %1。</translation>
    </message>
  </context>
  <context>
    <name>ModelManagerController</name>
    <message>
      <location filename="../controllers/model_manager.py" line="98" />
      <source>photos</source>
      <translation>照片</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="98" />
      <source>documents</source>
      <translation>文档</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="98" />
      <source>general</source>
      <translation>通用</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="99" />
      <source>charts</source>
      <translation>图表</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="99" />
      <source>text in images (OCR)</source>
      <translation>图中文字（OCR）</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="100" />
      <source>small laptops</source>
      <translation>小型笔记本</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="105" />
      <source>Fits on the GPU</source>
      <translation>可完全在 GPU 上运行</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="105" />
      <source>Partly on the GPU</source>
      <translation>部分在 GPU 上运行</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="106" />
      <source>CPU only</source>
      <translation>仅 CPU</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="106" />
      <source>Too big</source>
      <translation>太大</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="118" />
      <source>Good at anything</source>
      <translation>全部用途</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="132" />
      <source>Checking…</source>
      <translation>正在检查…</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="141" />
      <source>Needs about %1 of memory; this machine has %2 of RAM and no usable GPU.</source>
      <translation>约需 %1 内存；本机有 %2 内存，没有可用的 GPU。</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="143" />
      <source>Needs about %1 of memory; this machine has %2 of RAM and %3 free on the GPU.</source>
      <translation>约需 %1 内存；本机有 %2 内存，GPU 可用 %3。</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="206" />
      <source>Type a repository as owner/name.</source>
      <translation>请按“所有者/名称”格式输入仓库。</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="326" />
      <source>Downloaded models use %1 of disk space.</source>
      <translation>已下载的模型占用 %1 磁盘空间。</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="357" />
      <source>Verifying %1…</source>
      <translation>正在校验 %1…</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="362" />
      <source>%1: all files match.</source>
      <translation>%1：所有文件均完好。</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="362" />
      <source>%1 is damaged: %2</source>
      <translation>%1 已损坏：%2</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="371" />
      <source>Remove %1 and delete its files (%2)?</source>
      <translation>移除 %1 并删除其文件（%2）？</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="372" />
      <source>Remove %1 from the list? Its files (%2) stay where they are.</source>
      <translation>从列表中移除 %1？其文件（%2）会保留在原处。</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="374" />
      <source>Remove model</source>
      <translation>移除模型</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="386" />
      <source>Removed %1; %2 freed.</source>
      <translation>已移除 %1；释放了 %2。</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="393" />
      <source>Import a GGUF model and, optionally, its projector</source>
      <translation>导入 GGUF 模型（可同时选择其投影器）</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="405" />
      <source>Pick the model file too, not only the projector.</source>
      <translation>请同时选择模型文件，而不只是投影器。</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="407" />
      <source>Importing %1…</source>
      <translation>正在导入 %1…</translation>
    </message>
    <message>
      <location filename="../controllers/model_manager.py" line="410" />
      <source>Imported %1.</source>
      <translation>已导入 %1。</translation>
    </message>
  </context>
  <context>
    <name>ModelManagerDialog</name>
    <message>
      <location filename="../views/model_manager_dialog.py" line="217" />
      <source>Models</source>
      <translation>模型</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="218" />
      <source>&amp;Catalog</source>
      <translation>模型目录(&amp;C)</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="218" />
      <source>&amp;Downloads</source>
      <translation>下载(&amp;D)</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="218" />
      <source>&amp;Installed</source>
      <translation>已安装(&amp;I)</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="220" />
      <source>Model manager sections</source>
      <translation>模型管理器分区</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="221" />
      <source>Search models</source>
      <translation>搜索模型</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="223" />
      <source>Good at</source>
      <translation>擅长</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="224" />
      <source>&amp;Fits this machine</source>
      <translation>适合本机(&amp;F)</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="225" />
      <source>Show only models that fit this machine</source>
      <translation>只显示适合本机的模型</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="227" />
      <source>Model</source>
      <translation>模型</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="227" />
      <source>Download size</source>
      <translation>下载大小</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="227" />
      <source>License</source>
      <translation>许可证</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="228" />
      <source>On this machine</source>
      <translation>在本机上</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="229" />
      <source>Catalog of vision models</source>
      <translation>视觉模型目录</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="230" />
      <source>About the selected model</source>
      <translation>所选模型简介</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="231" />
      <source>&amp;Quantization:</source>
      <translation>量化(&amp;Q)：</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="232" />
      <source>Quantization</source>
      <translation>量化</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="233" />
      <source>Do&amp;wnload</source>
      <translation>下载(&amp;W)</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="234" />
      <source>Download the selected model</source>
      <translation>下载所选模型</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="235" />
      <source>Or a Hugging Face &amp;repository:</source>
      <translation>或 Hugging Face 仓库(&amp;R)：</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="236" />
      <source>owner/name</source>
      <translation>所有者/名称</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="237" />
      <source>Hugging Face repository</source>
      <translation>Hugging Face 仓库</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="238" />
      <source>Download from the &amp;Hub</source>
      <translation>从 Hub 下载(&amp;H)</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="239" />
      <source>Download from the Hugging Face repository</source>
      <translation>从 Hugging Face 仓库下载</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="240" />
      <source>Nothing is downloading. Pick a model in the catalog.</source>
      <translation>当前没有下载。请在模型目录中选择一个模型。</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="241" />
      <source>Download queue</source>
      <translation>下载队列</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="243" />
      <source>Size</source>
      <translation>大小</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="243" />
      <source>Source</source>
      <translation>来源</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="243" />
      <source>Verified</source>
      <translation>校验时间</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="244" />
      <source>Installed models</source>
      <translation>已安装的模型</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="245" />
      <source>&amp;Use this model</source>
      <translation>使用此模型(&amp;U)</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="246" />
      <source>Use this model</source>
      <translation>使用此模型</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="247" />
      <source>&amp;Verify again</source>
      <translation>重新校验(&amp;V)</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="248" />
      <source>Verify again</source>
      <translation>重新校验</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="249" />
      <source>&amp;Remove…</source>
      <translation>移除(&amp;R)…</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="250" />
      <source>Remove</source>
      <translation>移除</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="251" />
      <source>Import &amp;GGUF files…</source>
      <translation>导入 GGUF 文件(&amp;G)…</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="252" />
      <source>Import GGUF files</source>
      <translation>导入 GGUF 文件</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="253" />
      <source>Disk use</source>
      <translation>磁盘占用</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="254" />
      <source>Status</source>
      <translation>状态</translation>
    </message>
    <message>
      <location filename="../views/model_manager_dialog.py" line="256" />
      <source>Close</source>
      <translation>关闭</translation>
    </message>
  </context>
  <context>
    <name>SettingsController</name>
    <message>
      <location filename="../controllers/settings.py" line="96" />
      <source>Choose a GGUF file</source>
      <translation>选择 GGUF 文件</translation>
    </message>
  </context>
  <context>
    <name>SettingsDialog</name>
    <message>
      <location filename="../controllers/settings.py" line="64" />
      <source>Temperature, top p, max tokens, context size and the system prompt can be remembered per model.</source>
      <translation>温度、top p、最大 token 数、上下文长度和系统提示词可以按模型分别保存。</translation>
    </message>
    <message>
      <location filename="../controllers/settings.py" line="116" />
      <source>Choose a model first.</source>
      <translation>请先选择模型。</translation>
    </message>
    <message>
      <location filename="../controllers/settings.py" line="121" />
      <source>Saved as the preset for %1.</source>
      <translation>已保存为 %1 的预设。</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="105" />
      <source>Settings</source>
      <translation>设置</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="106" />
      <source>&amp;Model file</source>
      <translation>模型文件(&amp;M)</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="106" />
      <source>&amp;Projector (mmproj)</source>
      <translation>投影器 (mmproj)(&amp;P)</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="106" />
      <source>S&amp;ystem prompt</source>
      <translation>系统提示词(&amp;Y)</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="107" />
      <source>&amp;Temperature</source>
      <translation>温度(&amp;T)</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="107" />
      <source>Top &amp;p</source>
      <translation>Top &amp;p</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="107" />
      <source>Ma&amp;x tokens</source>
      <translation>最大 token 数(&amp;X)</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="108" />
      <source>&amp;Context size</source>
      <translation>上下文长度(&amp;C)</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="108" />
      <source>&amp;GPU layers</source>
      <translation>GPU 层数(&amp;G)</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="108" />
      <source>T&amp;hreads</source>
      <translation>线程数(&amp;H)</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="109" />
      <source>Th&amp;eme</source>
      <translation>主题(&amp;E)</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="109" />
      <source>&amp;Language</source>
      <translation>语言(&amp;L)</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="114" />
      <source>Browse…</source>
      <translation>浏览…</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="115" />
      <source>Model file</source>
      <translation>模型文件</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="116" />
      <source>Browse for the model file</source>
      <translation>浏览模型文件</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="117" />
      <source>Projector file</source>
      <translation>投影器文件</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="118" />
      <source>Browse for the projector file</source>
      <translation>浏览投影器文件</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="119" />
      <source>None: text only</source>
      <translation>无：仅文本</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="120" />
      <location filename="../views/settings_dialog.py" line="125" />
      <source>Automatic</source>
      <translation>自动</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="121" />
      <source>GPU offload mode</source>
      <translation>GPU 卸载方式</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="122" />
      <source>Number of GPU layers</source>
      <translation>GPU 层数</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="123" />
      <source>Save as preset for this model</source>
      <translation>保存为此模型的预设</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="125" />
      <source>Number of layers</source>
      <translation>指定层数</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="126" />
      <source>CPU only</source>
      <translation>仅 CPU</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="127" />
      <source>System</source>
      <translation>跟随系统</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="127" />
      <source>Light</source>
      <translation>浅色</translation>
    </message>
    <message>
      <location filename="../views/settings_dialog.py" line="127" />
      <source>Dark</source>
      <translation>深色</translation>
    </message>
  </context>
  <context>
    <name>TranscriptPresenter</name>
    <message>
      <location filename="../controllers/transcript.py" line="119" />
      <location filename="../controllers/transcript.py" line="165" />
      <source>Copy</source>
      <translation>复制</translation>
    </message>
    <message>
      <location filename="../controllers/transcript.py" line="139" />
      <source>First token %1 ms</source>
      <translation>首个 token %1 毫秒</translation>
    </message>
    <message>
      <location filename="../controllers/transcript.py" line="141" />
      <source>%1 tokens/s</source>
      <translation>%1 token/秒</translation>
    </message>
    <message>
      <location filename="../controllers/transcript.py" line="143" />
      <source>%1 tokens</source>
      <translation>%1 个 token</translation>
    </message>
    <message>
      <location filename="../controllers/transcript.py" line="164" />
      <source>You</source>
      <translation>你</translation>
    </message>
    <message>
      <location filename="../controllers/transcript.py" line="164" />
      <source>Assistant</source>
      <translation>助手</translation>
    </message>
    <message>
      <location filename="../controllers/transcript.py" line="165" />
      <source>Edit</source>
      <translation>编辑</translation>
    </message>
    <message>
      <location filename="../controllers/transcript.py" line="165" />
      <source>Regenerate</source>
      <translation>重新生成</translation>
    </message>
  </context>
  <context>
    <name>ModelMenuController</name>
    <message>
      <location filename="../work/wt/h-remote2/desktop/controllers/model_menu.py" line="95" />
      <source>No models yet: get one, open GGUF files, or add a server</source>
      <translation>还没有模型：获取一个模型、打开 GGUF 文件，或添加服务器</translation>
    </message>
  </context>
  <context>
    <name>RemoteBanner</name>
    <message>
      <location filename="../work/wt/h-remote2/desktop/views/remote_banner.py" line="30" />
      <source>Remote: %1 — images you send leave this computer</source>
      <translation>远程：%1 — 你发送的图片会离开这台电脑</translation>
    </message>
  </context>
  <context>
    <name>RemoteSessionController</name>
    <message>
      <location filename="../work/wt/h-remote2/desktop/controllers/remote_session.py" line="77" />
      <source>This server is no longer one of your servers, so nothing was sent to it.</source>
      <translation>此服务器已不在你的服务器列表中，因此没有向它发送任何内容。</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/controllers/remote_session.py" line="83" />
      <source>Not sent: you did not agree to send to %1. Regenerate to be asked again.</source>
      <translation>未发送：你没有同意发送到 %1。点击“重新生成”可再次询问。</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/controllers/remote_session.py" line="105" />
      <source>This conversation used a server that is no longer one of your servers; choose another model to go on.</source>
      <translation>此对话使用的服务器已不在你的服务器列表中；请选择其他模型继续。</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/controllers/remote_session.py" line="111" />
      <source>Send to a remote server?</source>
      <translation>发送到远程服务器？</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/controllers/remote_session.py" line="112" />
      <source>Messages and images you send in this chat go to %1 (%2) and leave this computer. Send them there? You will not be asked again for this server.</source>
      <translation>你在此对话中发送的消息和图片会发往 %1（%2），并离开这台电脑。要发送到那里吗？对此服务器不会再次询问。</translation>
    </message>
  </context>
  <context>
    <name>ServersController</name>
    <message>
      <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="76" />
      <source>remote: %1</source>
      <translation>远程：%1</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="76" />
      <source>this computer</source>
      <translation>本机</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="93" />
      <source>a key is kept; type a new one to replace it</source>
      <translation>已保存密钥；输入新密钥可替换</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="94" />
      <source>optional; kept in the system's credential store</source>
      <translation>可选；保存在系统的凭据存储中</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="125" />
      <source>Saved. Test it to see its models.</source>
      <translation>已保存。测试后可查看其模型。</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="140" />
      <source>Testing %1…</source>
      <translation>正在测试 %1…</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="156" />
      <source>on this computer</source>
      <translation>在本机上</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="157" />
      <source>Reachable: %1, %2 model(s), %3</source>
      <translation>可连接：%1，%2 个模型，%3</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="175" />
      <source>sees images</source>
      <translation>可识图</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="175" />
      <source>text only</source>
      <translation>仅文本</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="176" />
      <source>vision unknown until an image is tried</source>
      <translation>是否识图未知（发送图片后可知）</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="177" />
      <source>server on this computer</source>
      <translation>本机上的服务器</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/controllers/servers.py" line="119" />
      <source>The CA bundle %1 is not a file.</source>
      <translation>CA 证书包 %1 不是文件。</translation>
    </message>
  </context>
  <context>
    <name>ServersDialog</name>
    <message>
      <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="81" />
      <source>Servers</source>
      <translation>服务器</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="82" />
      <source>New server</source>
      <translation>新建服务器</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="83" />
      <source>Remove</source>
      <translation>移除</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="84" />
      <source>Name</source>
      <translation>名称</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="85" />
      <source>Address</source>
      <translation>地址</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="86" />
      <source>API key</source>
      <translation>API 密钥</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="87" />
      <source>e.g. GPU server</source>
      <translation>例如：GPU 服务器</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="89" />
      <source>optional; kept in the system's credential store</source>
      <translation>可选；保存在系统的凭据存储中</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="90" />
      <source>Save</source>
      <translation>保存</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="91" />
      <source>Test</source>
      <translation>测试</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="92" />
      <source>Use this model</source>
      <translation>使用此模型</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="94" />
      <source>Models on this server</source>
      <translation>此服务器上的模型</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="96" />
      <source>CA bundle</source>
      <translation>CA 证书包</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="97" />
      <source>optional: a .pem file of your organisation's certificate authority</source>
      <translation>可选：你所在组织的证书颁发机构 .pem 文件</translation>
    </message>
    <message>
      <location filename="../work/wt/h-remote2/desktop/views/servers_dialog.py" line="99" />
      <source>Send only the newest image (for servers that take one image per prompt, such as vLLM with Llama 3.2 Vision)</source>
      <translation>只发送最新的图片（适用于每次只接受一张图片的服务器，例如运行 Llama 3.2 Vision 的 vLLM）</translation>
    </message>
  </context>
  <context>
    <name>EngineWorker</name>
    <message>
      <location filename="../worker.py" line="136" />
      <source>This model runs on a server, which decides how it reads images: they are measured there.</source>
      <translation>此模型运行在服务器上，由服务器决定如何读取图片：图片在那里计量。</translation>
    </message>
  </context>
</TS>